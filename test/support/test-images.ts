import sharp from "sharp";
import { acceptedFormats, type ImageFormat } from "../../handler/image-formats.js";

/** Every format the handler accepts, so a format added there is tested on every route here. */
export const imageFormats = Object.keys(acceptedFormats) as ImageFormat[];

/** Deterministic pseudo-random bytes (LCG) for test images with exactly known pixels. */
export function knownPixels(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

/** Deterministic RGB noise, so images are not trivially compressible and each seed gives other predictions. */
export function noisePixels(width: number, height: number, seed = 1): Buffer {
  const pixels = knownPixels(width * height * 3, seed >>> 0 || 1);
  return Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength);
}

/** A small noise image encoded in `format`. */
export async function testImage(format: ImageFormat, width = 48, height = 32, seed = 1): Promise<Buffer> {
  const image = sharp(noisePixels(width, height, seed), { raw: { width, height, channels: 3 } });
  return image.toFormat(format, format === "avif" ? { effort: 0 } : {}).toBuffer();
}

export interface FormFile {
  field?: string;
  filename?: string;
  type?: string;
  bytes: Uint8Array;
}

/** A multipart/form-data body as a browser/undici encodes it: the body bytes and the content-type with its boundary. */
export async function multipartBody(
  files: readonly FormFile[],
  fields: Record<string, string> = {},
): Promise<{ body: Buffer; contentType: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  files.forEach((file, index) => {
    form.append(file.field ?? "image", new Blob([file.bytes], { type: file.type ?? "application/octet-stream" }), file.filename ?? `image-${index}`);
  });
  const request = new Request("http://127.0.0.1/", { method: "POST", body: form });
  return { body: Buffer.from(await request.arrayBuffer()), contentType: request.headers.get("content-type")! };
}
