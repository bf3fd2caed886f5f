import type { S3Client } from "@aws-sdk/client-s3";
import type { BatchOptions } from "./args.js";
import { RetryCounter, withRetry } from "./backoff.js";
import { createFormat } from "./formats.js";
import { type InputItem, inputIdentity, listLocalImages, listS3Images, readInput } from "./inputs.js";
import { createProgress } from "./progress.js";
import { type ScoreResult, toRecord } from "./record.js";
import { type RescorePolicy, rescoreTransient } from "./resume.js";
import { describeS3Error, isRetryableNetworkError } from "./retryable.js";
import { createBatchS3Client, isS3Url, parseS3Url } from "./s3.js";
import { openFileSink, openS3Sink, type Sink } from "./sinks.js";
import { RunStats } from "./stats.js";
import { FunctionUrlTarget } from "./targets/function-url.js";
import { LocalPoolTarget } from "./targets/local-pool.js";
import type { Target } from "./targets/target.js";

export interface RunSummary {
  listed: number;
  skipped: number;
  /** Error lines dropped on resume so that their inputs are scored again (see --resume). */
  errorLinesDropped: number;
  scored: number;
  ok: number;
  errorsByCode: Record<string, number>;
  seconds: number;
  imagesPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  interrupted: boolean;
  /** Requests retried (S3 and target) after throttling, 5xx, timeouts or connection errors. */
  retries: number;
  /** A remote engine's execution or job that did not succeed: what happened and what to do next. */
  failure?: string;
}

export interface RunHooks {
  /** Resolves when the run should stop taking new inputs (Ctrl-C); in-flight inputs still finish and are written. */
  stopSignal?: AbortSignal;
  log?: (line: string) => void;
}

/** On resume, drops the error lines of this run's inputs that are transient (or any, with --retry-errors). */
async function openSink(options: BatchOptions, client: S3Client | undefined, inputKind: "s3" | "file", selected: InputItem[]): Promise<Sink> {
  const format = createFormat(options.format, inputKind, options.topK);
  const inRun = new Set(selected.map(inputIdentity));
  const rescore: RescorePolicy = (line) => inRun.has(line.identity) && (options.retryErrors || rescoreTransient(line));
  return isS3Url(options.output)
    ? openS3Sink(client!, parseS3Url(options.output), format, options.resume, rescore)
    : openFileSink(options.output, format, options.resume, rescore);
}

async function startTarget(options: BatchOptions, counter: RetryCounter): Promise<Target> {
  if (options.target === "local") {
    return LocalPoolTarget.start({ modelDir: options.modelDir, threads: options.threads }, options.workers, options.topK);
  }
  return new FunctionUrlTarget({
    url: options.target.href,
    topK: options.topK,
    byReference: options.byReference,
    backoff: options.backoff,
    timeoutMs: options.timeoutMs,
    counter,
  });
}

/** Reads one input; a body cut mid-stream is retried here (the SDK's own retries cover the request itself). */
async function readBytes(item: InputItem, client: S3Client | undefined, options: BatchOptions, counter: RetryCounter): Promise<Uint8Array> {
  return withRetry(() => readInput(item, client), isRetryableNetworkError, { ...options.backoff, maxAttempts: 3 }, () => counter.count++);
}

/** An input over --max-bytes (by its listed size), answered without reading it. */
function tooLarge(item: InputItem, maxBytes: number): ScoreResult {
  return { ok: false, error: { code: "INPUT_TOO_LARGE", message: `${item.size} bytes, over the --max-bytes limit of ${maxBytes} bytes; not read` } };
}

function failure(item: InputItem, error: unknown): ScoreResult {
  if (item.kind === "s3") return { ok: false, error: describeS3Error(error) };
  return { ok: false, error: { code: "READ_ERROR", message: (error as Error).message } };
}

export async function runBatch(options: BatchOptions, hooks: RunHooks = {}): Promise<RunSummary> {
  const log = hooks.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const needsS3 = isS3Url(options.input) || isS3Url(options.output);
  const counter = new RetryCounter();
  const client = needsS3 ? createBatchS3Client(options.backoff, options.concurrency, counter) : undefined;
  const inputKind = isS3Url(options.input) ? "s3" : "file";

  try {
    const listed = isS3Url(options.input)
      ? await listS3Images(client!, parseS3Url(options.input))
      : await listLocalImages(options.input);
    const selected = options.limit === undefined ? listed : listed.slice(0, options.limit);
    const sink = await openSink(options, client, inputKind, selected);
    const todo = selected.filter((item) => !sink.done.has(inputIdentity(item)));
    const skipped = selected.length - todo.length;
    const retrying = sink.dropped > 0 ? ` (${sink.dropped} again after an error)` : "";
    log(`batch: ${listed.length} images listed${options.limit !== undefined ? `, first ${selected.length} selected` : ""}${options.resume ? `, ${skipped} already in the output` : ""}, ${todo.length} to score${retrying}`);

    let target: Target | undefined;
    let stats = new RunStats();
    let interrupted = false;
    try {
      if (todo.length > 0) {
        target = await startTarget(options, counter);
        log(`target: ${target.description}`);
      }
      stats = new RunStats(); // throughput counts from the first image, not from model loading
      const progress = createProgress(stats, todo.length);
      let next = 0;
      let outputFailure: { error: unknown } | undefined;
      const lane = async () => {
        while (next < todo.length && !outputFailure) {
          if (hooks.stopSignal?.aborted) {
            interrupted = true;
            return;
          }
          const item = todo[next++]!;
          const started = performance.now();
          let result: ScoreResult;
          try {
            if (target!.needsBytes && item.size > options.maxBytes) result = tooLarge(item, options.maxBytes);
            else {
              const bytes = target!.needsBytes ? await readBytes(item, client, options, counter) : undefined;
              result = await target!.score(item, bytes);
            }
          } catch (error) {
            result = failure(item, error);
          }
          const latencyMs = performance.now() - started;
          try {
            await sink.write(toRecord(item, result, target!.model(), latencyMs));
          } catch (error) {
            // The output is broken (disk full, upload failed): stop every lane, the run cannot record anything.
            outputFailure ??= { error };
            return;
          }
          stats.record(result.ok ? undefined : result.error.code, latencyMs);
          progress.update();
        }
      };
      try {
        await Promise.all(Array.from({ length: Math.min(options.concurrency, Math.max(todo.length, 1)) }, lane));
      } finally {
        progress.stop();
      }
      if (outputFailure) throw outputFailure.error;
    } finally {
      await sink.close();
      await target?.close();
    }

    return {
      listed: listed.length,
      skipped,
      errorLinesDropped: sink.dropped,
      scored: stats.done,
      ok: stats.ok,
      errorsByCode: Object.fromEntries([...stats.errorsByCode].sort(([a], [b]) => a.localeCompare(b))),
      seconds: stats.elapsedSeconds,
      imagesPerSecond: stats.imagesPerSecond,
      p50Ms: stats.percentile(50),
      p95Ms: stats.percentile(95),
      interrupted,
      retries: counter.count,
    };
  } finally {
    client?.destroy();
  }
}

export function formatSummary(summary: RunSummary, output: string): string {
  const errors = Object.entries(summary.errorsByCode);
  const errorCount = errors.reduce((total, [, count]) => total + count, 0);
  const ms = (value: number) => (Number.isNaN(value) ? "-" : `${value.toFixed(0)} ms`);
  return [
    `${summary.interrupted ? "Interrupted" : "Done"}: ${summary.listed} listed, ${summary.skipped} skipped (already in the output), ${summary.scored} scored in ${summary.seconds.toFixed(1)} s${summary.errorLinesDropped > 0 ? `, ${summary.errorLinesDropped} earlier error lines dropped to score their inputs again` : ""}`,
    `  ok ${summary.ok}, errors ${errorCount}${errors.length ? ` (${errors.map(([code, count]) => `${code} ${count}`).join(", ")})` : ""}`,
    `  ${summary.imagesPerSecond.toFixed(2)} images/s, latency p50 ${ms(summary.p50Ms)}, p95 ${ms(summary.p95Ms)}, retries ${summary.retries}`,
    `  output: ${output}`,
    ...(summary.failure ? [`  ${summary.failure}`] : []),
  ].join("\n");
}
