import type { ErrorDetail } from "./contract/error-body.js";

/**
 * Every error code the service can answer with, and its HTTP status.
 * This table is the only place that decides a status code.
 */
export const errorStatus = {
  EMPTY_BODY: 400,
  INVALID_BASE64: 400,
  INVALID_JSON: 400,
  INVALID_MULTIPART: 400,
  INVALID_REQUEST: 400,
  INVALID_IMAGE: 400,
  EMPTY_IMAGE: 400,
  INVALID_TOP_K: 400,
  S3_ACCESS_DENIED: 403,
  NOT_FOUND: 404,
  S3_OBJECT_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_IMAGES: 413,
  S3_OBJECT_TOO_LARGE: 413,
  TOO_MANY_PIXELS: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IMAGE_TOO_LARGE: 422,
  /** The server entry's queue is full (handler/server/; under Lambda, the function URL's own 429 takes its place). */
  THROTTLED: 429,
  INTERNAL_ERROR: 500,
  S3_UNAVAILABLE: 502,
  TIMEOUT: 503,
  /** GET /health of the server entry while it drains after SIGTERM (the load balancer stops sending). */
  SHUTTING_DOWN: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

/** Codes only the server entry's main thread answers (handler/server/entry-server.ts), never the handler itself. */
export const SERVER_ENTRY_CODES: readonly ErrorCode[] = ["THROTTLED", "SHUTTING_DOWN"];

/**
 * Longest error message a client gets. Messages quote client input (e.g. every unknown JSON key); unbounded, a
 * 6 MB request could produce an error body over Lambda's 6 MB response limit, which the client would see as a 502.
 */
export const MAX_ERROR_MESSAGE_LENGTH = 1000;

function bounded(message: string): string {
  if (message.length <= MAX_ERROR_MESSAGE_LENGTH) return message;
  const more = ` … (${message.length - MAX_ERROR_MESSAGE_LENGTH} more characters)`;
  return message.slice(0, MAX_ERROR_MESSAGE_LENGTH - more.length) + more;
}

export interface ClientErrorOptions {
  /** Response headers that belong to the error (e.g. `Allow` for 405). */
  headers?: Record<string, string>;
  /** The library's own error (sharp, the S3 SDK, ...), kept for the log; never shown to the client. */
  cause?: unknown;
}

/** An error caused by the request, safe to show to the client as it is. */
export class ClientError extends Error {
  override readonly name = "ClientError";
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: ClientErrorOptions = {},
  ) {
    super(bounded(message), "cause" in options ? { cause: options.cause } : undefined);
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return errorStatus[this.code];
  }
}

export const isClientError = (error: unknown): error is ClientError => error instanceof ClientError;

/** The JSON body of an error: a client error as it is, anything else as an opaque internal error. */
export function errorBody(error: unknown): ErrorDetail {
  if (isClientError(error)) return { code: error.code, message: error.message };
  return { code: "INTERNAL_ERROR", message: "internal error" };
}
