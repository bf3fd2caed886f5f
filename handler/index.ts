import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { createHandler } from "./app.js";
import { Classifier } from "./classifier.js";
import { loadConfig } from "./config.js";
import { createDirectHandler, type DirectAnswer } from "./direct/handler.js";
import { isFunctionUrlEvent } from "./direct/recognise.js";
import { type ResolveImageSource, resolveInlineSource } from "./image-sources.js";
import type { HttpResponse } from "./response.js";
import { functionS3Reader } from "./s3-source.js";
import { Telemetry } from "./telemetry.js";

// Initialisation runs once per execution environment, at module load (top-level await), so provisioned-concurrency
// environments have the session open and warmed up before their first request.
const initStartedAt = performance.now();
const config = loadConfig();
const telemetry = new Telemetry(config);
let classifier: Classifier;
try {
  classifier = await Classifier.load(config.modelDir, {
    threads: config.intraOpThreads,
    maxPixels: config.maxImagePixels,
    maxRequestPixels: config.maxRequestPixels,
    decodeConcurrency: config.maxConcurrentDecodes,
    ...(config.exactResizeMaxPixels !== undefined && { exactResizeMaxPixels: config.exactResizeMaxPixels }),
    warmup: true,
  });
} catch (error) {
  telemetry.logger.error("initialisation failed", { modelDir: config.modelDir, error: error as Error });
  throw error;
}
telemetry.logger.info("initialised", {
  model: { name: classifier.manifest.name, version: classifier.manifest.version },
  modelDir: config.modelDir,
  threads: config.intraOpThreads,
  memoryMb: config.memoryMb,
  decodeConcurrency: config.maxConcurrentDecodes,
  maxRequestPixels: config.maxRequestPixels,
  resize: { convention: classifier.manifest.input.resize.convention, exactResizeMaxPixels: config.exactResizeMaxPixels ?? null },
  initMs: Math.round(performance.now() - initStartedAt),
});

const readS3Object = functionS3Reader(config);

const resolveSource: ResolveImageSource = (source) => (source.kind === "s3" ? readS3Object(source.ref) : resolveInlineSource(source));
const functionUrlHandler = createHandler({ config, classifier, telemetry, resolveSource });
const directHandler = createDirectHandler({ config, classifier, telemetry, readObject: readS3Object, resolveSource });

/** Function URL requests (payload format 2.0) get an HTTP response; direct invocations their own answer. */
export interface EntryPoint {
  (event: APIGatewayProxyEventV2, context?: Context): Promise<HttpResponse>;
  (event: unknown, context?: Context): Promise<DirectAnswer>;
}

/**
 * The Lambda entry point: function URL requests go to the URL handler (one cheap check); Distributed Map batches,
 * S3 Batch Operations tasks and plain Lambda API invocations to the direct handler (handler/direct/).
 */
export const handler = ((event: unknown, context?: Context) =>
  isFunctionUrlEvent(event) ? functionUrlHandler(event as APIGatewayProxyEventV2, context) : directHandler(event, context)) as EntryPoint;
