import pLimit from "p-limit";
import type { Classifier, ImageResult, Prediction } from "./classifier.js";
import type { BatchItem, ModelIdentity, Prediction as PredictionBody } from "./contract/classify-response.js";
import type { Config } from "./config.js";
import { assertTimeFor, ImageCostEstimate } from "./deadline.js";
import { type ClientError, isClientError } from "./errors.js";
import { type ImageSource, type ImageSourceList, readImageSources, type ResolveImageSource } from "./image-sources.js";
import { MAX_CONCURRENT_S3_READS } from "./memory-budget.js";
import type { HttpRequest } from "./request.js";
import { type HttpResponse, type PhaseTimings, rawJsonResponse, roundMs, serverTiming } from "./response.js";
import type { RouteInput } from "./routes.js";
import type { RouteMeasurements } from "./telemetry.js";
import { defaultTopK, parseTopK } from "./top-k.js";

export interface ClassifyRouteDependencies {
  classifier: Classifier;
  config: Pick<Config, "topKDefault" | "maxBodyBytes" | "maxBatchImages">;
  resolveSource: ResolveImageSource;
}

/** A classify request after parsing: the validated top_k and the images it lists. */
interface ClassifyRequest extends ImageSourceList {
  topK: number;
}

type Resolved = { ok: true; bytes: Uint8Array } | { ok: false; error: ClientError };

/** Every image's result in request order, and what decoding and inference took (ms, rounded). */
interface Classified {
  results: ImageResult[];
  decodeMs: number;
  inferenceMs: number;
}

/** Each source's bytes or its own error; at most MAX_CONCURRENT_S3_READS reads (S3 downloads) at once. */
async function resolveEach(sources: readonly ImageSource[], resolveSource: ResolveImageSource): Promise<Resolved[]> {
  const readSlots = pLimit(MAX_CONCURRENT_S3_READS);
  return Promise.all(
    sources.map((source) =>
      readSlots(async (): Promise<Resolved> => {
        try {
          return { ok: true, bytes: await resolveSource(source) };
        } catch (error) {
          if (isClientError(error)) return { ok: false, error };
          throw error;
        }
      }),
    ),
  );
}

/** POST /classify and POST /: one image → `predictions`; a batch → `results[]`, where each image stands alone. */
export function createClassifyRoute({ classifier, config, resolveSource }: ClassifyRouteDependencies) {
  const { manifest } = classifier;
  const labelCount = manifest.labels.length;
  const topKFallback = defaultTopK(config.topKDefault, labelCount);
  const limits = { maxBodyBytes: config.maxBodyBytes, maxBatchImages: config.maxBatchImages };
  // The model part of every answer never changes: serialise it once.
  const model: ModelIdentity = { name: manifest.name, version: manifest.version };
  const bodyPrefix = `{"model":${JSON.stringify(model)},`;
  const imageCost = new ImageCostEstimate();

  /** Client input is checked here, at the edge: top_k first, then the body. */
  async function parseRequest(request: HttpRequest): Promise<ClassifyRequest> {
    const topK = parseTopK(request.query.top_k, labelCount, topKFallback);
    return { topK, ...(await readImageSources(request, limits)) };
  }

  /** Classifies the images that resolved to bytes; the others keep their own error. */
  async function classifyResolved(resolved: readonly Resolved[], topK: number, remainingMs: RouteInput["remainingMs"]): Promise<Classified> {
    const readable = resolved.flatMap((item) => (item.ok ? [item.bytes] : []));
    assertTimeFor(readable.length, remainingMs, imageCost);
    const outcome = readable.length
      ? await classifier.classify(readable, topK)
      : { results: [], timings: { decodeMs: 0, inferenceMs: 0 } };
    imageCost.record(readable.length, outcome.timings.decodeMs + outcome.timings.inferenceMs);
    let next = 0;
    return {
      results: resolved.map((item) => (item.ok ? outcome.results[next++]! : item)),
      decodeMs: roundMs(outcome.timings.decodeMs),
      inferenceMs: roundMs(outcome.timings.inferenceMs),
    };
  }

  function respond(payload: string, classified: Classified, startedAt: number): HttpResponse {
    const timings: PhaseTimings = {
      decodeMs: classified.decodeMs,
      inferenceMs: classified.inferenceMs,
      totalMs: roundMs(performance.now() - startedAt),
    };
    return rawJsonResponse(200, `${bodyPrefix}${payload},"timings":${JSON.stringify(timings)}}`, {
      "server-timing": serverTiming(timings),
    });
  }

  return async ({ request, startedAt, remainingMs, measured }: RouteInput): Promise<HttpResponse> => {
    const { topK, sources, batch } = await parseRequest(request);
    measured({ images: sources.length });
    // Work that cannot finish before Lambda's deadline is not started: a 503 now beats a killed invocation.
    assertTimeFor(sources.length, remainingMs, imageCost);
    const classified = await classifyResolved(await resolveEach(sources, resolveSource), topK, remainingMs);
    measured(measurementsOf(classified, batch));
    const payload = batch ? batchPayload(classified.results) : singlePayload(classified.results);
    return respond(payload, classified, startedAt);
  };
}

/** `"predictions":[...]` of a single-image request; its failure is the request's failure. */
function singlePayload(results: readonly ImageResult[]): string {
  const [only] = results;
  if (!only) throw new Error("a single-image request produced no result");
  if (!only.ok) throw only.error;
  return `"predictions":${JSON.stringify(only.predictions satisfies PredictionBody[])}`;
}

/** `"results":[...]` of a batch: each image's predictions or its own error. */
function batchPayload(results: readonly ImageResult[]): string {
  const items = results.map((result) =>
    result.ok
      ? `{"predictions":${JSON.stringify(result.predictions satisfies PredictionBody[])}}`
      : JSON.stringify({ error: { code: result.error.code, message: result.error.message } } satisfies BatchItem),
  );
  return `"results":[${items.join(",")}]`;
}

function measurementsOf(classified: Classified, batch: boolean): RouteMeasurements {
  const sizes: string[] = [];
  const errorCodes: string[] = [];
  let top1: Prediction | undefined;
  for (const result of classified.results) {
    if (result.ok) {
      sizes.push(`${result.image.width}x${result.image.height}`);
      top1 ??= result.predictions[0];
    } else {
      errorCodes.push(result.error.code);
    }
  }
  return {
    ...(sizes.length ? { imageSizes: sizes } : {}),
    ...(top1 ? { top1 } : {}),
    ...(batch && errorCodes.length ? { imageErrorCodes: errorCodes } : {}),
    decodeMs: classified.decodeMs,
    inferenceMs: classified.inferenceMs,
  };
}
