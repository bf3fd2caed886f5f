import { ClientError } from "./errors.js";
import type { HttpRequest } from "./request.js";
import type { HttpResponse } from "./response.js";
import type { RouteMeasurements } from "./telemetry.js";

export interface RouteInput {
  request: HttpRequest;
  /** performance.now() when the invocation started. */
  startedAt: number;
  coldStart: boolean;
  /** Milliseconds until Lambda ends the invocation (`context.getRemainingTimeInMillis`), when there is a context. */
  remainingMs?: () => number;
  /** Adds what the route measured to the request's log line; also called before a route throws (e.g. on TIMEOUT). */
  measured: (measurements: RouteMeasurements) => void;
}

export type RouteHandler = (input: RouteInput) => Promise<HttpResponse> | HttpResponse;

/** Method → handler, for one path. */
export type RouteMethods = Readonly<Record<string, RouteHandler>>;

/** Path → method → handler. */
export type RouteTable = Readonly<Record<string, RouteMethods>>;

/** The methods served at `path`, or undefined for a path with no route. */
export function methodsAt(routes: RouteTable, path: string): RouteMethods | undefined {
  return Object.hasOwn(routes, path) ? routes[path] : undefined;
}

/** The handler for the request's method among `methods` (from methodsAt): 404 NOT_FOUND for none, 405 with `Allow`. */
export function handlerFor(methods: RouteMethods | undefined, request: HttpRequest): RouteHandler {
  if (!methods) throw new ClientError("NOT_FOUND", `no route for ${request.path.slice(0, 200)}`);
  const handle = Object.hasOwn(methods, request.method) ? methods[request.method] : undefined;
  if (!handle) {
    const allow = Object.keys(methods).join(", ");
    throw new ClientError("METHOD_NOT_ALLOWED", `${request.path} accepts ${allow}, not ${request.method.slice(0, 20)}`, {
      headers: { allow },
    });
  }
  return handle;
}
