import type { Config } from "../config.js";
import type { Manifest } from "../manifest.js";
import { SERVICE_NAME } from "../settings.js";
import { defaultTopK } from "../top-k.js";
import { componentNames, componentSchemas } from "./components.js";
import { errorResponses } from "./error-responses.js";
import { servedOperations } from "./operations.js";
import { documentPaths } from "./paths.js";
import { schemaFacts } from "./schema-facts.js";

/** The version of the HTTP API this document describes. */
export const API_VERSION = "1.0.0";

export interface OpenApiSource {
  manifest: Pick<Manifest, "name" | "version" | "labels">;
  config: Pick<Config, "topKDefault" | "maxBodyBytes" | "maxBatchImages" | "maxImagePixels">;
}

/** The OpenAPI 3.1 document of the whole HTTP API, generated from the contract's zod schemas, the model and the limits. */
export function buildOpenApiDocument({ manifest, config }: OpenApiSource) {
  const labelCount = manifest.labels.length;
  return {
    openapi: "3.1.0",
    info: {
      title: SERVICE_NAME,
      version: API_VERSION,
      description:
        `Image classification with ONNX Runtime behind a Lambda function URL; model ${manifest.name} ${manifest.version} ` +
        `(${labelCount} labels). Every error is {"error": {"code", "message"}, "requestId"} with the status of its code.`,
    },
    paths: documentPaths(
      servedOperations({
        labelCount,
        defaultTopK: defaultTopK(config.topKDefault, labelCount),
        maxBodyBytes: config.maxBodyBytes,
        maxBatchImages: config.maxBatchImages,
        maxImagePixels: config.maxImagePixels,
      }),
    ),
    components: {
      schemas: componentSchemas(schemaFacts({ labels: manifest.labels, maxBatchImages: config.maxBatchImages })),
      responses: errorResponses(componentNames),
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;
