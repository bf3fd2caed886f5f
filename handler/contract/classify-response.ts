import { z } from "zod";
import { manifestSchema } from "../manifest.js";
import { errorDetailSchema } from "./error-body.js";

/**
 * The 200 answers of the classify route. The route serialises them from cached fragments (the hot path parses
 * nothing); its values are typed with these schemas' types, and the OpenAPI document is generated from them.
 */

export const labelSchema = z.string().meta({ description: "One of the model's labels (GET /model)." });

export const predictionSchema = z.object({
  label: labelSchema,
  score: z.number().meta({
    description: "Softmax probability for a model whose output is logits; the model's own score for a probabilities output.",
  }),
});

/** The `top_k` best labels, best first. */
export const predictionListSchema = z.array(predictionSchema).min(1);

export const modelIdentitySchema = manifestSchema.pick({ name: true, version: true });

/** Milliseconds, rounded to 0.01; also sent as `Server-Timing`. */
export const timingsSchema = z.object({
  decodeMs: z.number().nonnegative(),
  inferenceMs: z.number().nonnegative(),
  totalMs: z.number().nonnegative(),
});

/** One image (raw body, a form with one file, `image`, one `s3` object). */
export const singleClassifyResponseSchema = z.object({
  model: modelIdentitySchema,
  predictions: predictionListSchema,
  timings: timingsSchema,
});

/** One image of a batch: its predictions or its own error (the batch is still a 200). */
export const batchItemSchema = z.union([z.object({ predictions: predictionListSchema }), z.object({ error: errorDetailSchema })]);

/** Several images (a form with several files, `images`, an `s3` list), in request order. */
export const batchClassifyResponseSchema = z.object({
  model: modelIdentitySchema,
  results: z.array(batchItemSchema).min(1),
  timings: timingsSchema,
});

export const classifyResponseSchema = z.union([singleClassifyResponseSchema, batchClassifyResponseSchema]);

export type ModelIdentity = z.infer<typeof modelIdentitySchema>;
export type Prediction = z.infer<typeof predictionSchema>;
export type Timings = z.infer<typeof timingsSchema>;
export type BatchItem = z.infer<typeof batchItemSchema>;
