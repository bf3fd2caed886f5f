import type { Classifier } from "./classifier.js";
import type { HealthResponse } from "./contract/info-responses.js";
import { type HttpResponse, rawJsonResponse } from "./response.js";
import type { RouteInput } from "./routes.js";

/** GET /health: model identity, whether this invocation was the environment's first, and how it was initialised. */
export function createHealthRoute(classifier: Pick<Classifier, "manifest">, initializationType: string) {
  const { name, version, sha256 } = classifier.manifest;
  const model: HealthResponse["model"] = { name, version, sha256 };
  // Serialised once; only coldStart (a boolean, HealthResponse["coldStart"]) changes per request.
  const prefix = `{"status":"ok","model":${JSON.stringify(model)},"initializationType":${JSON.stringify(initializationType)},"coldStart":`;
  return ({ coldStart }: Pick<RouteInput, "coldStart">): HttpResponse => rawJsonResponse(200, `${prefix}${coldStart}}`);
}

/** GET /model: the validated manifest, labels resolved to an array. */
export function createModelRoute(classifier: Classifier) {
  const body = JSON.stringify(classifier.manifest);
  return (): HttpResponse => rawJsonResponse(200, body);
}
