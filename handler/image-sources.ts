import { decodeBase64Strict } from "./base64.js";
import { imageJsonRequestSchema } from "./contract/classify-request.js";
import { ClientError } from "./errors.js";
import { readMultipartFiles } from "./multipart.js";
import { type HttpRequest, readBodyBytes, readBodyText } from "./request.js";
import { parseS3Refs, type S3ObjectRef } from "./s3-source.js";

/**
 * Where one image of a request comes from. Parsing a request only lists sources; resolving a source to bytes happens
 * per image, so one unreadable image fails only its own result in a batch.
 *
 * Seam for other sources (e.g. `{"s3": {"bucket", "key"}}`): add a variant here, accept it in a schema of
 * contract/classify-request.ts (so the OpenAPI document shows it), and resolve it in a `ResolveImageSource` passed to
 * `createHandler`.
 */
export type ImageSource =
  | { kind: "bytes"; bytes: Uint8Array; declaredType?: string }
  | { kind: "base64"; data: string }
  | { kind: "s3"; ref: S3ObjectRef };

/** Turns one source into image bytes, or throws a ClientError that fails only that image. */
export type ResolveImageSource = (source: ImageSource) => Promise<Uint8Array> | Uint8Array;

export interface ImageSourceList {
  sources: ImageSource[];
  /** A batch answers with `results[]`; a single image with `predictions`. */
  batch: boolean;
}

export interface SourceLimits {
  maxBodyBytes: number;
  maxBatchImages: number;
}

export const ACCEPTED_CONTENT_TYPES = "image/*, application/octet-stream, multipart/form-data or application/json";

const DATA_URL = /^data:([^;,]*)(?:;[^,]*)?;base64,/i;

const isSvg = (mediaType: string) => mediaType === "image/svg+xml";

function unsupportedSvg(): ClientError {
  return new ClientError("UNSUPPORTED_MEDIA_TYPE", "SVG images are not supported; send a raster image (JPEG, PNG, WebP, GIF, AVIF, TIFF)");
}

/** Lists the images a classify request carries, by content type. */
export async function readImageSources(request: HttpRequest, limits: SourceLimits): Promise<ImageSourceList> {
  const mediaType = request.contentType?.mediaType ?? "application/octet-stream";

  if (mediaType === "application/json" || mediaType.endsWith("+json")) return fromJson(request, limits);

  if (mediaType === "multipart/form-data") {
    const body = nonEmpty(readBodyBytes(request, limits.maxBodyBytes));
    const files = await readMultipartFiles(body, request.contentType!.header, {
      maxFiles: limits.maxBatchImages,
      maxFileBytes: limits.maxBodyBytes,
    });
    if (files.length === 0) {
      throw new ClientError("INVALID_MULTIPART", "the form has no file part; send the image as a file (curl -F image=@photo.jpg)");
    }
    const sources: ImageSource[] = files.map((file) => ({ kind: "bytes", bytes: file.bytes, declaredType: file.mimeType }));
    return { sources, batch: sources.length > 1 };
  }

  if (isSvg(mediaType)) throw unsupportedSvg();
  if (mediaType.startsWith("image/") || mediaType === "application/octet-stream") {
    const bytes = nonEmpty(readBodyBytes(request, limits.maxBodyBytes));
    return { sources: [{ kind: "bytes", bytes }], batch: false };
  }

  throw new ClientError("UNSUPPORTED_MEDIA_TYPE", `content type "${mediaType}" is not supported; send ${ACCEPTED_CONTENT_TYPES}`);
}

function nonEmpty(body: Buffer): Buffer {
  if (body.length === 0) throw new ClientError("EMPTY_BODY", "the request body is empty; send an image");
  return body;
}

function fromJson(request: HttpRequest, limits: SourceLimits): ImageSourceList {
  const text = readBodyText(request, limits.maxBodyBytes);
  if (text.length === 0) throw new ClientError("EMPTY_BODY", 'the request body is empty; send {"image": "<base64>"}');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ClientError("INVALID_JSON", `the request body is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (json !== null && typeof json === "object" && !Array.isArray(json) && "s3" in json) return fromS3Json(json, limits);
  const images = (json as { images?: unknown } | null)?.images;
  if (Array.isArray(images) && images.length > limits.maxBatchImages) {
    throw new ClientError("TOO_MANY_IMAGES", `${images.length} images; at most ${limits.maxBatchImages} per request`);
  }
  const parsed = imageJsonRequestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) =>
      issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message,
    );
    throw new ClientError("INVALID_REQUEST", `invalid JSON request: ${problems.join("; ")}`);
  }
  if (parsed.data.image !== undefined) return { sources: [{ kind: "base64", data: parsed.data.image }], batch: false };
  return { sources: parsed.data.images!.map((data) => ({ kind: "base64", data })), batch: true };
}

/**
 * `{"s3": {"bucket", "key"}}` or `{"s3": [ ... ]}`: objects the function reads itself (see s3-source.ts). The field
 * count is checked first so "s3 alone" gets its own message; the field itself is s3JsonRequestSchema's `s3`.
 */
function fromS3Json(json: object, limits: SourceLimits): ImageSourceList {
  if (Object.keys(json).length !== 1) {
    throw new ClientError("INVALID_REQUEST", 'invalid JSON request: give "s3" alone, without "image" or "images"');
  }
  const { refs, isList } = parseS3Refs((json as { s3: unknown }).s3, limits.maxBatchImages);
  return { sources: refs.map((ref) => ({ kind: "s3", ref })), batch: isList };
}

/** Resolves the sources a request can carry inline (raw bytes, multipart parts, base64). */
export function resolveInlineSource(source: ImageSource): Uint8Array {
  switch (source.kind) {
    case "bytes":
      if (source.declaredType && isSvg(source.declaredType)) throw unsupportedSvg();
      if (source.bytes.length === 0) throw new ClientError("EMPTY_IMAGE", "the image is empty (0 bytes)");
      return source.bytes;
    case "base64": {
      let data = source.data;
      const dataUrl = DATA_URL.exec(data);
      if (dataUrl) {
        if (isSvg((dataUrl[1] ?? "").toLowerCase())) throw unsupportedSvg();
        data = data.slice(dataUrl[0].length);
      }
      if (data.length === 0) throw new ClientError("EMPTY_IMAGE", "the image is empty (0 bytes)");
      const bytes = decodeBase64Strict(data);
      if (!bytes) throw new ClientError("INVALID_BASE64", "the image is not valid base64 (standard alphabet, padded)");
      return bytes;
    }
    case "s3":
      throw new ClientError("S3_ACCESS_DENIED", "this endpoint reads no S3 objects");
  }
}
