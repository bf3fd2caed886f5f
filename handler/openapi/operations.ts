import { errorCodes } from "../contract/error-body.js";
import type { ErrorCode } from "../errors.js";
import { type ClassifyLimits, classifyRequestBody } from "./classify-request-body.js";
import { ref } from "./components.js";
import { errorResponseRefs } from "./error-responses.js";

/** Codes answered for a path or method with no route, not by a route (see paths.ts). */
export const ROUTING_CODES: readonly ErrorCode[] = ["NOT_FOUND", "METHOD_NOT_ALLOWED"];

/** What any route can answer besides its own: a fault, and the server entry's full queue (handler/server/). */
const ANY_ROUTE_CODES: readonly ErrorCode[] = ["INTERNAL_ERROR", "THROTTLED"];

/** GET /health is answered by the server entry's main thread, never queued: never THROTTLED, but 503 while draining. */
const HEALTH_CODES: readonly ErrorCode[] = ["INTERNAL_ERROR", "SHUTTING_DOWN"];

/** The classify route can answer every other code of errors.ts, so a new code is documented there by default. */
const CLASSIFY_CODES = errorCodes.filter((code) => !ROUTING_CODES.includes(code) && code !== "SHUTTING_DOWN");

export interface OperationFacts extends ClassifyLimits {
  labelCount: number;
  /** top_k when the query has none (top-k.ts defaultTopK). */
  defaultTopK: number;
}

export type Operation = Record<string, unknown>;

/** Served path → lower-case method → operation. */
export type ServedOperations = Record<string, Record<string, Operation>>;

const jsonContent = (schema: object) => ({ "application/json": { schema } });

const success = (description: string, schema: object, headers?: object) => ({
  description,
  ...(headers ? { headers } : {}),
  content: jsonContent(schema),
});

function classifyOperation(operationId: string, facts: OperationFacts): Operation {
  return {
    operationId,
    tags: ["classify"],
    summary: "Classify one image or a batch",
    parameters: [
      {
        name: "top_k",
        in: "query",
        required: false,
        description: "How many labels to answer, best first: one integer (a repeated parameter is refused).",
        schema: { type: "integer", minimum: 1, maximum: facts.labelCount, default: facts.defaultTopK },
      },
    ],
    requestBody: classifyRequestBody(facts),
    responses: {
      "200": success("The predictions (one image) or the results in request order (a batch; each image may fail alone).", ref("ClassifyResponse"), {
        "Server-Timing": {
          description: "decode;dur=…, inference;dur=…, total;dur=… (the body's timings).",
          required: true,
          schema: { type: "string" },
        },
      }),
      ...errorResponseRefs(CLASSIFY_CODES),
    },
  };
}

function getOperation(operationId: string, summary: string, description: string, schema: object, codes = ANY_ROUTE_CODES): Operation {
  return {
    operationId,
    tags: ["service"],
    summary,
    responses: { "200": success(description, schema), ...errorResponseRefs(codes) },
  };
}

/** GET /: the upload page for a browser (handler/page); any other client is answered as a POST-only path. */
function pageOperation(): Operation {
  return {
    operationId: "page",
    tags: ["page"],
    summary: "The upload page, for a browser",
    description:
      "Served when the Accept header names text/html and ranks it above application/json (a browser's navigation); " +
      "any other client, wildcards included, gets 405 METHOD_NOT_ALLOWED with Allow: POST.",
    parameters: [{ name: "Accept", in: "header", required: false, schema: { type: "string" } }],
    responses: {
      "200": { description: "The self-contained page (strict Content-Security-Policy).", content: { "text/html": { schema: { type: "string" } } } },
      ...errorResponseRefs(["METHOD_NOT_ALLOWED", ...ANY_ROUTE_CODES]),
    },
  };
}

/** Every route the handler serves (app.ts), with its requests and answers. */
export function servedOperations(facts: OperationFacts): ServedOperations {
  return {
    "/classify": { post: classifyOperation("classify", facts) },
    "/": { post: classifyOperation("classifyAtRoot", facts), get: pageOperation() },
    "/health": {
      get: getOperation("health", "Health and model identity", "The service is up; which model it serves.", ref("HealthResponse"), HEALTH_CODES),
    },
    "/model": {
      get: getOperation("model", "The model's manifest", "The validated manifest, labels as an array.", ref("ModelManifest")),
    },
    "/openapi.json": {
      get: getOperation("openApiDocument", "This document", "The OpenAPI 3.1 document of the API.", {
        type: "object",
        required: ["openapi", "info", "paths"],
      }),
    },
  };
}
