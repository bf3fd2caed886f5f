import { base64ImageListSchema, MAX_S3_REFS, s3ObjectRefListSchema } from "../contract/classify-request.js";
import { labelSchema, predictionListSchema } from "../contract/classify-response.js";
import type { JsonSchema, SchemaFacts } from "./json-schema.js";
import type { z } from "zod";

export interface ServiceFacts {
  labels: readonly string[];
  /** MAX_BATCH_IMAGES. */
  maxBatchImages: number;
}

/** The loaded model's labels and the configured batch limit, as JSON Schema keywords on the schemas they concern. */
export function schemaFacts({ labels, maxBatchImages }: ServiceFacts): SchemaFacts {
  return new Map<z.core.$ZodType, JsonSchema>([
    [labelSchema, { enum: [...labels] }],
    [predictionListSchema, { maxItems: labels.length }],
    [base64ImageListSchema, { maxItems: maxBatchImages }],
    [s3ObjectRefListSchema, { maxItems: Math.min(maxBatchImages, MAX_S3_REFS) }],
  ]);
}
