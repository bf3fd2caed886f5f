import { acceptedMimeTypes } from "../image-formats.js";
import { ref } from "./components.js";

export interface ClassifyLimits {
  /** MAX_BODY_BYTES. */
  maxBodyBytes: number;
  /** MAX_BATCH_IMAGES. */
  maxBatchImages: number;
  /** MAX_IMAGE_PIXELS. */
  maxImagePixels: number;
}

const binary = { type: "string", format: "binary" } as const;

/** The request body of POST /classify: raw image bytes, a multipart form, or JSON (base64 or S3 references). */
export function classifyRequestBody({ maxBodyBytes, maxBatchImages, maxImagePixels }: ClassifyLimits) {
  const rawImage = { schema: binary };
  return {
    required: true,
    description:
      `At most ${maxBodyBytes} bytes (MAX_BODY_BYTES; a base64-encoded event body counts decoded). The format is read ` +
      `from the bytes, not the content type: JPEG, PNG, WebP, GIF, AVIF or TIFF, at most ${maxImagePixels} pixels ` +
      `(MAX_IMAGE_PIXELS). Any image/* type (except image/svg+xml) is accepted, and a body without a content type is ` +
      `read as application/octet-stream. One image gets the single shape; a form with several files, "images" or an ` +
      `"s3" list gets the batch shape, at most ${maxBatchImages} images (MAX_BATCH_IMAGES). JSON may also be sent ` +
      "as any +json type.",
    content: {
      ...Object.fromEntries(acceptedMimeTypes.map((type) => [type, rawImage])),
      "application/octet-stream": rawImage,
      "multipart/form-data": {
        schema: {
          type: "object",
          description:
            "File parts (a part with a filename or declared application/octet-stream), any field name, in order: " +
            "one file gets the single shape, several the batch shape. Other fields are ignored (at most 32).",
          properties: { image: binary },
          additionalProperties: true,
        },
        encoding: { image: { contentType: [...acceptedMimeTypes, "application/octet-stream"].join(", ") } },
      },
      "application/json": { schema: ref("ClassifyJsonRequest") },
    },
  };
}
