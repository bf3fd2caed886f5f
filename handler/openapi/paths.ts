import { errorResponseRefs } from "./error-responses.js";
import type { ServedOperations } from "./operations.js";

/** The methods an OpenAPI path item can hold; the handler answers any of them. */
export const OPENAPI_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/** The path item standing for every path without a route. */
export const UNKNOWN_PATH = "/{path}";

/**
 * The document's paths: the served operations; every other method of a served path as a 405 METHOD_NOT_ALLOWED
 * (with `Allow`); and UNKNOWN_PATH, whose every method is a 404 NOT_FOUND.
 */
export function documentPaths(served: ServedOperations): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, operations] of Object.entries(served)) {
    const item: Record<string, unknown> = { ...operations };
    // GET / documents a 405 of its own: it is the page for a browser only, and "/" allows POST.
    const allowed = Object.entries(operations)
      .filter(([, operation]) => !(operation as { responses?: Record<string, unknown> }).responses?.["405"])
      .map(([method]) => method.toUpperCase())
      .join(", ");
    for (const method of OPENAPI_METHODS) {
      item[method] ??= {
        tags: ["routing"],
        summary: `${path} accepts ${allowed} only`,
        responses: errorResponseRefs(["METHOD_NOT_ALLOWED"]),
      };
    }
    paths[path] = item;
  }
  paths[UNKNOWN_PATH] = {
    description:
      "Any path without a route, including paths below a route (/classify/x); a trailing slash is ignored (/health/ is /health).",
    parameters: [{ name: "path", in: "path", required: true, schema: { type: "string" } }],
    ...Object.fromEntries(
      OPENAPI_METHODS.map((method) => [method, { tags: ["routing"], summary: "No such route", responses: errorResponseRefs(["NOT_FOUND"]) }]),
    ),
  };
  return paths;
}
