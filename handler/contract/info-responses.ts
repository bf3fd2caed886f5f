import { z } from "zod";
import { manifestSchema } from "../manifest.js";

/** GET /health. */
export const healthResponseSchema = z.object({
  status: z.literal("ok"),
  model: manifestSchema.pick({ name: true, version: true, sha256: true }),
  initializationType: z.string().meta({
    description: "AWS_LAMBDA_INITIALIZATION_TYPE: on-demand, provisioned-concurrency, snap-start; local under npm start.",
  }),
  coldStart: z.boolean().meta({ description: "True only on the execution environment's first invocation." }),
});

/** GET /model: the validated manifest, labels as an array. */
export const modelResponseSchema = manifestSchema;

export type HealthResponse = z.infer<typeof healthResponseSchema>;
