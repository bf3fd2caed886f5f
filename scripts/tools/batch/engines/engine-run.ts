import type { S3Client } from "@aws-sdk/client-s3";
import type { BatchOptions } from "../args.js";
import { createFormat } from "../formats.js";
import { inputIdentity } from "../inputs.js";
import type { BatchRecord } from "../record.js";
import { rescoreTransient } from "../resume.js";
import type { RunSummary } from "../run.js";
import { isS3Url, parseS3Url } from "../s3.js";
import { openFileSink, openS3Sink, type Sink } from "../sinks.js";
import { percentile } from "../../../shared/stats.js";
import type { EngineItem } from "./source-items.js";

/** The output of a remote run: with --resume the existing lines stay and transient error lines are dropped. */
export function openEngineSink(options: BatchOptions, client: S3Client): Promise<Sink> {
  const format = createFormat(options.format, "s3", options.topK);
  const rescore = options.retryErrors ? () => true : rescoreTransient;
  return isS3Url(options.output)
    ? openS3Sink(client, parseS3Url(options.output), format, options.resume, rescore)
    : openFileSink(options.output, format, options.resume, rescore);
}

export const engineItemIdentity = (item: EngineItem) => inputIdentity({ kind: "s3", bucket: item.bucket, key: item.key, etag: item.etag ?? "" });

const recordIdentityOf = (record: BatchRecord) =>
  "key" in record ? inputIdentity({ kind: "s3", bucket: record.bucket, key: record.key, etag: record.etag }) : record.path;

/** One row per item: a result wins over an error row for the same item (a redriven child after its failed try). */
export function mergeRecords(records: readonly BatchRecord[]): BatchRecord[] {
  const byItem = new Map<string, BatchRecord>();
  for (const record of records) {
    const identity = recordIdentityOf(record);
    const earlier = byItem.get(identity);
    if (!earlier || earlier.error || !record.error) byItem.set(identity, record);
  }
  return [...byItem.values()];
}

export interface EngineOutcome {
  /** Items the engine was asked to score in this run. */
  total: number;
  records: BatchRecord[];
  startedAt: number;
  /** Why the execution or job did not succeed, with what to do next; undefined when it succeeded. */
  failure?: string;
  interrupted?: boolean;
}

/** Writes the rows the output does not hold yet and sums them up the way a local run does. */
export async function writeEngineRows(sink: Sink, outcome: EngineOutcome, alreadyDone: number): Promise<RunSummary> {
  const errorsByCode = new Map<string, number>();
  const latencies: number[] = [];
  let ok = 0;
  let written = 0;
  for (const record of mergeRecords(outcome.records)) {
    if (sink.done.has(recordIdentityOf(record))) continue;
    await sink.write(record);
    written++;
    if (record.latencyMs !== undefined) latencies.push(record.latencyMs);
    if (record.error) errorsByCode.set(record.error.code, (errorsByCode.get(record.error.code) ?? 0) + 1);
    else ok++;
  }
  latencies.sort((a, b) => a - b);
  const seconds = (performance.now() - outcome.startedAt) / 1000;
  return {
    listed: outcome.total + alreadyDone,
    skipped: alreadyDone,
    errorLinesDropped: sink.dropped,
    scored: written,
    ok,
    errorsByCode: Object.fromEntries([...errorsByCode].sort(([a], [b]) => a.localeCompare(b))),
    seconds,
    imagesPerSecond: written / Math.max(seconds, 1e-3),
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    interrupted: outcome.interrupted ?? false,
    retries: 0,
    ...(outcome.failure !== undefined && { failure: outcome.failure }),
  };
}

/** Waits `ms`, or less when the signal fires; resolves true when it fired. */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(false);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Progress counts of a remote run in the shape the progress display reads. */
export class RemoteCounts {
  done = 0;
  errors = 0;
  private readonly startedAt = performance.now();
  get imagesPerSecond(): number {
    return this.done / Math.max((performance.now() - this.startedAt) / 1000, 1e-3);
  }
}
