import { Classifier } from "./classifier.js";
import type { Config } from "./config.js";
import { type ResolveImageSource, resolveInlineSource } from "./image-sources.js";
import { functionS3Reader } from "./s3-source.js";
import { Telemetry } from "./telemetry.js";

/** What one execution environment (a Lambda environment, a server worker thread) holds once initialised. */
export interface Initialised {
  telemetry: Telemetry;
  classifier: Classifier;
  readS3Object: ReturnType<typeof functionS3Reader>;
  resolveSource: ResolveImageSource;
}

/**
 * Opens and warms the session and builds the image sources, logging "initialised" (or the failure, then rethrowing).
 * `startedAt` is when initialisation began, for the logged initMs.
 */
export async function initialise(config: Config, startedAt = performance.now()): Promise<Initialised> {
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
    initMs: Math.round(performance.now() - startedAt),
  });

  const readS3Object = functionS3Reader(config);
  const resolveSource: ResolveImageSource = (source) => (source.kind === "s3" ? readS3Object(source.ref) : resolveInlineSource(source));
  return { telemetry, classifier, readS3Object, resolveSource };
}
