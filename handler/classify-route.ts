import type { Classifier, ImageResult } from "./classifier.js";
import type { Config } from "./config.js";
import { assertTimeFor, ImageCostEstimate } from "./deadline.js";
import { ClientError, isClientError } from "./errors.js";
import { type ImageSource, readImageSources, type ResolveImageSource } from "./image-sources.js";
import { type HttpResponse, type PhaseTimings, rawJsonResponse, roundMs, serverTiming } from "./response.js";
import type { RouteInput } from "./routes.js";
import { parseTopK } from "./top-k.js";

export interface ClassifyRouteDependencies {
  classifier: Classifier;
  config: Pick<Config, "topKDefault" | "maxBodyBytes" | "maxBatchImages">;
  resolveSource: ResolveImageSource;
}

type Resolved = { ok: true; bytes: Uint8Array } | { ok: false; error: ClientError };

async function resolveEach(sources: readonly ImageSource[], resolveSource: ResolveImageSource): Promise<Resolved[]> {
  return Promise.all(
    sources.map(async (source): Promise<Resolved> => {
      try {
        return { ok: true, bytes: await resolveSource(source) };
      } catch (error) {
        if (isClientError(error)) return { ok: false, error };
        throw error;
      }
    }),
  );
}

/** POST /classify and POST /: one image → `predictions`; a batch → `results[]`, where each image stands alone. */
export function createClassifyRoute({ classifier, config, resolveSource }: ClassifyRouteDependencies) {
  const { manifest } = classifier;
  const labelCount = manifest.labels.length;
  const defaultTopK = Math.min(config.topKDefault, labelCount);
  const limits = { maxBodyBytes: config.maxBodyBytes, maxBatchImages: config.maxBatchImages };
  // The model part of every answer never changes: serialise it once.
  const bodyPrefix = `{"model":${JSON.stringify({ name: manifest.name, version: manifest.version })},`;
  const imageCost = new ImageCostEstimate();

  return async ({ request, record, startedAt, remainingMs }: RouteInput): Promise<HttpResponse> => {
    const topK = parseTopK(request.query.top_k, labelCount, defaultTopK);
    const { sources, batch } = await readImageSources(request, limits);
    record.images = sources.length;
    // Work that cannot finish before Lambda's deadline is not started: a 503 now beats a killed invocation.
    assertTimeFor(sources.length, remainingMs, imageCost);

    const resolved = await resolveEach(sources, resolveSource);
    const readable: Uint8Array[] = [];
    for (const item of resolved) if (item.ok) readable.push(item.bytes);
    assertTimeFor(readable.length, remainingMs, imageCost);
    const outcome = readable.length
      ? await classifier.classify(readable, topK)
      : { results: [], timings: { decodeMs: 0, inferenceMs: 0 } };
    imageCost.record(readable.length, outcome.timings.decodeMs + outcome.timings.inferenceMs);

    let next = 0;
    const results: ImageResult[] = resolved.map((item) => (item.ok ? outcome.results[next++]! : item));
    describeResults(results, batch, record);
    record.decodeMs = roundMs(outcome.timings.decodeMs);
    record.inferenceMs = roundMs(outcome.timings.inferenceMs);

    if (!batch) {
      const [only] = results;
      if (!only) throw new Error("a single-image request produced no result");
      if (!only.ok) throw only.error;
    }
    const timings: PhaseTimings = {
      decodeMs: record.decodeMs,
      inferenceMs: record.inferenceMs,
      totalMs: roundMs(performance.now() - startedAt),
    };
    const headers = { "server-timing": serverTiming(timings) };
    const timingsJson = JSON.stringify(timings);
    if (!batch) {
      const only = results[0] as Extract<ImageResult, { ok: true }>;
      return rawJsonResponse(200, `${bodyPrefix}"predictions":${JSON.stringify(only.predictions)},"timings":${timingsJson}}`, headers);
    }
    const items = results.map((result) =>
      result.ok
        ? `{"predictions":${JSON.stringify(result.predictions)}}`
        : JSON.stringify({ error: { code: result.error.code, message: result.error.message } }),
    );
    return rawJsonResponse(200, `${bodyPrefix}"results":[${items.join(",")}],"timings":${timingsJson}}`, headers);
  };
}

function describeResults(results: readonly ImageResult[], batch: boolean, record: RouteInput["record"]): void {
  const sizes: string[] = [];
  const errorCodes: string[] = [];
  for (const result of results) {
    if (result.ok) {
      sizes.push(`${result.image.width}x${result.image.height}`);
      if (!record.top1 && result.predictions[0]) record.top1 = result.predictions[0];
    } else {
      errorCodes.push(result.error.code);
    }
  }
  if (sizes.length) record.imageSizes = sizes;
  if (batch && errorCodes.length) record.imageErrorCodes = errorCodes;
}
