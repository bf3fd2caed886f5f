import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { BatchRecord, ModelId, Prediction } from "../record.js";

/** `<Prefix>/<map run id>/manifest.json`, as ResultWriter writes it when a map run ends. */
export interface ResultWriterManifest {
  DestinationBucket: string;
  MapRunArn: string;
  ResultFiles: Partial<Record<"SUCCEEDED" | "FAILED" | "PENDING", Array<{ Key: string; Size: number }>>>;
}

/** One child workflow execution in a SUCCEEDED_n / FAILED_n / PENDING_n file; `Input` and `Output` are JSON text. */
export interface ChildExecutionRecord {
  ExecutionArn?: string;
  Name?: string;
  Input: string;
  Output?: string;
  Error?: string;
  Cause?: string;
  Status: string;
  StartDate?: string;
  StopDate?: string;
}

/** The function's Distributed Map answer (contract: compact, one result per item, in item order). */
interface ChildOutput {
  model?: ModelId;
  results?: Array<{ bucket?: string; key?: string; etag?: string; predictions?: Prediction[]; error?: { code: string; message: string } }>;
}

interface ChildInput {
  BatchInput?: { bucket?: string };
  Items?: Array<Record<string, unknown>>;
}

/** The id in a map run ARN (`arn:aws:states:<region>:<account>:mapRun:<machine>/<map state>:<id>`), its results folder. */
export const mapRunId = (mapRunArn: string) => mapRunArn.slice(mapRunArn.lastIndexOf(":") + 1);

export function resultWriterManifestKey(prefix: string, mapRunArn: string): string {
  return `${prefix.replace(/\/+$/, "")}${prefix ? "/" : ""}${mapRunId(mapRunArn)}/manifest.json`;
}

async function readJson<T>(client: S3Client, bucket: string, key: string): Promise<T> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = await response.Body!.transformToString("utf8");
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`s3://${bucket}/${key} is not JSON`, { cause: error });
  }
}

function parseJson<T>(text: string | undefined, what: string): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`a ResultWriter record's ${what} is not JSON`, { cause: error });
  }
}

const durationMs = (record: ChildExecutionRecord) => {
  const ms = Date.parse(record.StopDate ?? "") - Date.parse(record.StartDate ?? "");
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
};

/** One output row per item of a child execution: its results when it succeeded, an error row per item otherwise. */
export function childRecords(record: ChildExecutionRecord): BatchRecord[] {
  const input = parseJson<ChildInput>(record.Input, "Input") ?? {};
  const items = input.Items ?? [];
  const latencyMs = durationMs(record);
  const output = record.Status === "SUCCEEDED" ? parseJson<ChildOutput>(record.Output, "Output") : undefined;
  return items.map((item, index) => {
    const bucket = typeof item.Bucket === "string" && item.Bucket ? item.Bucket : (input.BatchInput?.bucket ?? "");
    const size = item.Size === undefined || item.Size === "" ? undefined : Number(item.Size);
    const base = {
      bucket,
      key: String(item.Key),
      etag: typeof item.Etag === "string" ? item.Etag : "",
      ...(size !== undefined && Number.isFinite(size) ? { size } : {}),
      model: output?.model ?? null,
      ...(latencyMs !== undefined ? { latencyMs } : {}),
    };
    if (!output) {
      const pending = record.Status === "PENDING";
      const reason = pending ? "the child workflow did not run before the map run ended" : `${record.Error ?? record.Status}: ${record.Cause ?? "no cause given"}`;
      return { ...base, error: { code: pending ? "MAP_CHILD_PENDING" : "MAP_CHILD_FAILED", message: reason } };
    }
    const result = output.results?.[index];
    if (!result) return { ...base, error: { code: "MAP_CHILD_FAILED", message: `the child's output has no result for item ${index}` } };
    const row = { ...base, bucket: result.bucket ?? bucket, key: result.key ?? base.key, etag: result.etag ?? base.etag };
    return result.error ? { ...row, error: result.error } : { ...row, predictions: result.predictions ?? [] };
  });
}

/** Every row of one map run's ResultWriter output (manifest.json → SUCCEEDED_n, FAILED_n, PENDING_n). */
export async function readMapRunRecords(client: S3Client, bucket: string, prefix: string, mapRunArn: string): Promise<BatchRecord[]> {
  const manifest = await readJson<ResultWriterManifest>(client, bucket, resultWriterManifestKey(prefix, mapRunArn));
  const records: BatchRecord[] = [];
  for (const status of ["SUCCEEDED", "FAILED", "PENDING"] as const) {
    for (const file of manifest.ResultFiles[status] ?? []) {
      const children = await readJson<ChildExecutionRecord[]>(client, manifest.DestinationBucket || bucket, file.Key);
      for (const child of children) records.push(...childRecords(child));
    }
  }
  return records;
}
