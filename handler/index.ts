import { createHandler } from "./app.js";
import { Classifier } from "./classifier.js";
import { loadConfig } from "./config.js";
import { resolveInlineSource } from "./image-sources.js";
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

/** The Lambda entry point for a function URL (payload format 2.0). */
export const handler = createHandler({
  config,
  classifier,
  telemetry,
  resolveSource: (source) => (source.kind === "s3" ? readS3Object(source.ref) : resolveInlineSource(source)),
});
