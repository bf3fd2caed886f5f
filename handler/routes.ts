import { ClientError } from "./errors.js";
import type { HttpRequest } from "./request.js";
import type { HttpResponse } from "./response.js";
import type { RequestRecord } from "./telemetry.js";

export interface RouteInput {
  request: HttpRequest;
  /** The request's log record; routes add what they learn (images, timings, top-1). */
  record: RequestRecord;
  /** performance.now() when the invocation started. */
  startedAt: number;
  coldStart: boolean;
  /** Milliseconds until Lambda ends the invocation (`context.getRemainingTimeInMillis`), when there is a context. */
  remainingMs?: () => number;
}

export type RouteHandler = (input: RouteInput) => Promise<HttpResponse> | HttpResponse;

/** Path → method → handler. */
export type RouteTable = Readonly<Record<string, Readonly<Record<string, RouteHandler>>>>;

/** Finds the handler for a request: 404 NOT_FOUND for an unknown path, 405 with `Allow` for a known one. */
export function matchRoute(routes: RouteTable, request: HttpRequest): RouteHandler {
  const methods = Object.hasOwn(routes, request.path) ? routes[request.path] : undefined;
  if (!methods) throw new ClientError("NOT_FOUND", `no route for ${request.path.slice(0, 200)}`);
  const handle = Object.hasOwn(methods, request.method) ? methods[request.method] : undefined;
  if (!handle) {
    const allow = Object.keys(methods).join(", ");
    throw new ClientError("METHOD_NOT_ALLOWED", `${request.path} accepts ${allow}, not ${request.method.slice(0, 20)}`, { allow });
  }
  return handle;
}
