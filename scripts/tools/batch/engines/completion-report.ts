import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { parseCsv } from "../formats.js";
import type { BatchRecord, ModelId, Prediction } from "../record.js";
import { type EngineItem, itemIdentityKey } from "./source-items.js";

/** `<report prefix>/job-<id>/manifest.json` of an S3 Batch Operations completion report. */
interface ReportManifest {
  Format: string;
  Results: Array<{ TaskExecutionStatus: string; Bucket: string; Key: string }>;
}

async function readText(client: S3Client, bucket: string, key: string): Promise<string> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return response.Body!.transformToString("utf8");
}

export const reportManifestKey = (prefix: string, jobId: string) => `${prefix.replace(/\/+$/, "")}${prefix ? "/" : ""}job-${jobId}/manifest.json`;

/** The function's resultString (contract): `{"predictions": […]}` or `{"error": {code, message}}`; else plain text. */
function parseResultString(text: string): { predictions?: Prediction[]; error?: { code: string; message: string } } | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null ? (value as { predictions?: Prediction[] }) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One report row (Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage; keys URL-encoded)
 * as an output row. AWS's own sample rows put the HTTP status before the Lambda result code, so the result code is
 * read from whichever of the two columns holds one.
 */
export function reportRowRecord(row: string[], items: ReadonlyMap<string, EngineItem>, model: ModelId | null): BatchRecord {
  const [bucket = "", encodedKey = "", , status = "", codeA = "", codeB = "", message = ""] = row;
  const key = decodeURIComponent(encodedKey.replace(/\+/g, " "));
  const item = items.get(itemIdentityKey({ bucket, key }));
  const base = { bucket, key, etag: item?.etag ?? "", ...(item?.size !== undefined && { size: item.size }), model };
  const result = parseResultString(message);
  if (status === "succeeded" && result?.predictions) return { ...base, predictions: result.predictions };
  const resultCode = [codeA, codeB].find((code) => /Failure$/.test(code)) ?? (status === "succeeded" ? "" : "PermanentFailure");
  if (result?.error) return { ...base, error: { code: result.error.code, message: `${resultCode}: ${result.error.message}` } };
  return { ...base, error: { code: resultCode || "BATCH_OPERATIONS_UNREADABLE", message: message || `task ${status} without a result` } };
}

/** Every row of a job's completion report (manifest.json → result CSV files). */
export async function readCompletionReport(
  client: S3Client,
  reportBucket: string,
  prefix: string,
  jobId: string,
  items: ReadonlyMap<string, EngineItem>,
  model: ModelId | null,
): Promise<BatchRecord[]> {
  const manifest = JSON.parse(await readText(client, reportBucket, reportManifestKey(prefix, jobId))) as ReportManifest;
  const records: BatchRecord[] = [];
  for (const file of manifest.Results) {
    const text = await readText(client, file.Bucket, file.Key);
    for (const row of parseCsv(text.endsWith("\n") ? text : `${text}\n`).rows) {
      if (row.length >= 4) records.push(reportRowRecord(row, items, model));
    }
  }
  return records;
}
