import type { z } from "zod";
import { classifyJsonRequestSchema, imageJsonRequestSchema, s3JsonRequestSchema, s3ObjectRefSchema } from "../contract/classify-request.js";
import {
  batchClassifyResponseSchema,
  batchItemSchema,
  classifyResponseSchema,
  predictionSchema,
  singleClassifyResponseSchema,
  timingsSchema,
} from "../contract/classify-response.js";
import { errorBodySchema, errorCodeSchema, errorDetailSchema } from "../contract/error-body.js";
import { healthResponseSchema, modelResponseSchema } from "../contract/info-responses.js";
import { type ComponentNames, type JsonSchema, jsonSchemaOf, type SchemaFacts } from "./json-schema.js";

/** The document's named schemas: request bodies are converted as input, responses as output. */
const requestComponents = {
  ClassifyJsonRequest: classifyJsonRequestSchema,
  ImageJsonRequest: imageJsonRequestSchema,
  S3JsonRequest: s3JsonRequestSchema,
  S3ObjectRef: s3ObjectRefSchema,
} satisfies Record<string, z.core.$ZodType>;

const responseComponents = {
  ClassifyResponse: classifyResponseSchema,
  SingleClassifyResponse: singleClassifyResponseSchema,
  BatchClassifyResponse: batchClassifyResponseSchema,
  BatchItem: batchItemSchema,
  Prediction: predictionSchema,
  Timings: timingsSchema,
  HealthResponse: healthResponseSchema,
  ModelManifest: modelResponseSchema,
  ErrorBody: errorBodySchema,
  ErrorDetail: errorDetailSchema,
  ErrorCode: errorCodeSchema,
} satisfies Record<string, z.core.$ZodType>;

export type ComponentName = keyof typeof requestComponents | keyof typeof responseComponents;

export const componentNames: ComponentNames = new Map(
  [...Object.entries(requestComponents), ...Object.entries(responseComponents)].map(([name, schema]) => [schema, name]),
);

/** `components.schemas`: every named schema as JSON Schema, nested named schemas as `$ref`s. */
export function componentSchemas(facts: SchemaFacts): Record<ComponentName, JsonSchema> {
  const convert = (io: "input" | "output", schemas: Record<string, z.core.$ZodType>) =>
    Object.fromEntries(Object.entries(schemas).map(([name, schema]) => [name, jsonSchemaOf(schema, { io, facts, components: componentNames })]));
  return { ...convert("input", requestComponents), ...convert("output", responseComponents) } as Record<ComponentName, JsonSchema>;
}

export const ref = (name: ComponentName) => ({ $ref: `#/components/schemas/${name}` });
