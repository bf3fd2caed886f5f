import { type HttpResponse, rawJsonResponse } from "../response.js";
import { buildOpenApiDocument, type OpenApiSource } from "./document.js";

/**
 * GET /openapi.json. The document is built on the first request and kept as text: no cost at initialisation or for
 * other routes. Headers are every JSON answer's (response.ts), `cache-control: no-store` included, since a deployment
 * can change the model and the limits the document states.
 */
export function createOpenApiRoute(source: OpenApiSource) {
  let body: string | undefined;
  return (): HttpResponse => rawJsonResponse(200, (body ??= JSON.stringify(buildOpenApiDocument(source))));
}
