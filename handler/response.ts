import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { ErrorResponseBody } from "./contract/error-body.js";
import type { Timings } from "./contract/classify-response.js";
import { errorBody, isClientError } from "./errors.js";

export type HttpResponse = APIGatewayProxyStructuredResultV2 & { statusCode: number; headers: Record<string, string>; body: string };

export type PhaseTimings = Timings;

/** Every answer is for one caller: never content-sniffed by a browser, never stored by a cache or proxy. */
export const PRIVATE_ANSWER_HEADERS = {
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
} as const;

const JSON_HEADERS = { "content-type": "application/json", ...PRIVATE_ANSWER_HEADERS } as const;

/** A JSON response from an already serialised body (callers build hot-path bodies from cached fragments). */
export function rawJsonResponse(statusCode: number, body: string, headers?: Record<string, string>): HttpResponse {
  return { statusCode, headers: headers ? { ...JSON_HEADERS, ...headers } : { ...JSON_HEADERS }, body };
}

export function jsonResponse(statusCode: number, value: unknown, headers?: Record<string, string>): HttpResponse {
  return rawJsonResponse(statusCode, JSON.stringify(value), headers);
}

/** `{"error": {"code", "message"}, "requestId"}` with the status errors.ts gives the code; 500 for anything else. */
export function errorResponse(error: unknown, requestId: string): HttpResponse {
  const body: ErrorResponseBody = { error: errorBody(error), requestId };
  if (!isClientError(error)) return jsonResponse(500, body);
  return jsonResponse(error.status, body, error.headers);
}

/** Milliseconds rounded to 0.01 (what clients and logs need; keeps bodies short). */
export const roundMs = (ms: number): number => Math.round(ms * 100) / 100;

export function serverTiming(timings: PhaseTimings): string {
  return `decode;dur=${timings.decodeMs}, inference;dur=${timings.inferenceMs}, total;dur=${timings.totalMs}`;
}
