import { z } from "zod";

/**
 * The JSON forms of a classify request. The handler validates each form with these schemas, and the OpenAPI
 * document is generated from them. The configured batch limit (MAX_BATCH_IMAGES, 413 TOO_MANY_IMAGES) is checked
 * before them, so they carry only the fixed limits.
 */

/** Most S3 references one request may list, whatever MAX_BATCH_IMAGES says. */
export const MAX_S3_REFS = 64;

export const base64ImageSchema = z.string({ error: "each image must be a base64 string" }).meta({
  description: "An image as standard padded base64, or as a data: URL (data:image/png;base64,...). SVG is refused.",
});

export const base64ImageListSchema = z
  .array(base64ImageSchema, { error: '"images" must be an array' })
  .min(1, '"images" must not be empty');

/** `{"image": "<base64>"}` (one image) or `{"images": [...]}` (a batch), never both. */
export const imageJsonRequestSchema = z
  .strictObject({
    image: base64ImageSchema.optional(),
    images: base64ImageListSchema.optional(),
  })
  .refine((body) => (body.image === undefined) !== (body.images === undefined), {
    message: 'give exactly one of "image" or "images"',
  })
  // The refinement above, for JSON Schema (which cannot carry a refinement).
  .meta({ oneOf: [{ required: ["image"] }, { required: ["images"] }] });

export const s3ObjectRefSchema = z
  .object({ bucket: z.string().min(3).max(63), key: z.string().min(1).max(1024) })
  .strict()
  .meta({ description: "An S3 object the function reads itself; it must be inside S3_INPUT_ALLOWLIST." });

export const s3ObjectRefListSchema = z.array(s3ObjectRefSchema).min(1).max(MAX_S3_REFS);

/** The `s3` field: one object (single answer) or a list (batch answer). */
export const s3FieldSchema = z.union([s3ObjectRefSchema, s3ObjectRefListSchema]);

/** `{"s3": ...}`, with no other field. */
export const s3JsonRequestSchema = z.strictObject({ s3: s3FieldSchema });

/** Every JSON body the classify route accepts. */
export const classifyJsonRequestSchema = z.union([imageJsonRequestSchema, s3JsonRequestSchema]);

export type S3ObjectRef = z.infer<typeof s3ObjectRefSchema>;
