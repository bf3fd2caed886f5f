import type { Prediction } from "../../../handler/classifier.js";
import { type InputItem, inputIdentity } from "./inputs.js";

export type { Prediction };

export interface ModelId {
  name: string;
  version: string;
}

/** What a target answers for one input. */
export type ScoreResult =
  | { ok: true; predictions: Prediction[]; model?: ModelId }
  | { ok: false; error: { code: string; message: string }; model?: ModelId };

/** One output line. Exactly one of `predictions` / `error` is set. */
export type BatchRecord = (
  | { bucket: string; key: string; etag: string }
  | { path: string; mtime: string }
) & {
  /** Bytes of the input; absent when a remote engine's item did not carry it (CSV/JSONL manifest rows). */
  size?: number;
  model: ModelId | null;
  /**
   * Milliseconds from read to answer; for a Step Functions run the duration of the child execution that scored the
   * item's batch; absent for S3 Batch Operations (its report has no timing).
   */
  latencyMs?: number;
  predictions?: Prediction[];
  error?: { code: string; message: string };
};

export function toRecord(item: InputItem, result: ScoreResult, fallbackModel: ModelId | null, latencyMs: number): BatchRecord {
  const where =
    item.kind === "s3" ? { bucket: item.bucket, key: item.key, etag: item.etag } : { path: item.path, mtime: item.mtime };
  const model = result.model ?? fallbackModel;
  const rounded = Math.round(latencyMs * 10) / 10;
  return result.ok
    ? { ...where, size: item.size, model, latencyMs: rounded, predictions: result.predictions }
    : { ...where, size: item.size, model, latencyMs: rounded, error: result.error };
}

/** The --resume identity of an output line, or undefined when the line is not one of ours. */
export function recordIdentity(record: Partial<Record<string, unknown>>): string | undefined {
  const { bucket, key, etag, path, mtime } = record;
  if (typeof bucket === "string" && typeof key === "string" && typeof etag === "string") {
    return inputIdentity({ kind: "s3", bucket, key, etag });
  }
  if (typeof path === "string" && typeof mtime === "string") return inputIdentity({ kind: "file", path, mtime });
  return undefined;
}
