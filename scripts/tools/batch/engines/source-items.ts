import { gunzipSync } from "node:zlib";
import { GetObjectCommand, paginateListObjectsV2, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { parseCsv } from "../formats.js";
import type { S3Location } from "../s3.js";
import type { EngineSource, ManifestFormat } from "./engine-options.js";

/** One object a remote engine scores; `etag` and `size` when the listing or manifest carries them. */
export interface EngineItem {
  bucket: string;
  key: string;
  etag?: string;
  size?: number;
}

async function readText(client: S3Client, bucket: string, key: string): Promise<string> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return response.Body!.transformToString("utf8");
}

async function readBytes(client: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return response.Body!.transformToByteArray();
}

/** Every object under the prefix, as the listObjectsV2 item reader sees them (all keys, not only image names). */
async function listItems(client: S3Client, bucket: string, prefix: string): Promise<EngineItem[]> {
  const items: EngineItem[] = [];
  for await (const page of paginateListObjectsV2({ client, pageSize: 1000 }, { Bucket: bucket, Prefix: prefix })) {
    for (const object of page.Contents ?? []) {
      if (object.Key) items.push({ bucket, key: object.Key, etag: object.ETag ?? "", size: object.Size ?? 0 });
    }
  }
  return items;
}

/** A manifest row (CSV with a header row, or a JSONL object) as an item; `Bucket` falls back to the source bucket. */
function rowItem(row: Record<string, unknown>, fallbackBucket: string, where: string): EngineItem {
  const key = row.Key;
  if (typeof key !== "string" || key === "") throw new Error(`${where} has no Key`);
  const bucket = typeof row.Bucket === "string" && row.Bucket !== "" ? row.Bucket : fallbackBucket;
  const item: EngineItem = { bucket, key };
  if (typeof row.Etag === "string") item.etag = row.Etag;
  if (row.Size !== undefined && row.Size !== "" && Number.isFinite(Number(row.Size))) item.size = Number(row.Size);
  return item;
}

export function parseManifestRows(text: string, format: "CSV" | "JSONL", fallbackBucket: string): EngineItem[] {
  if (format === "JSONL") {
    return text
      .split("\n")
      .map((line, index) => ({ line: line.trim(), index }))
      .filter(({ line }) => line !== "")
      .map(({ line, index }) => rowItem(JSON.parse(line) as Record<string, unknown>, fallbackBucket, `JSONL line ${index + 1}`));
  }
  const complete = text.endsWith("\n") ? text : `${text}\n`;
  const [header, ...rows] = parseCsv(complete).rows;
  if (!header?.includes("Key")) throw new Error('the CSV manifest\'s first row must name the columns, "Key" among them');
  return rows
    .filter((row) => row.some((field) => field !== ""))
    .map((row, index) => rowItem(Object.fromEntries(header.map((column, i) => [column, row[i] ?? ""])), fallbackBucket, `CSV row ${index + 2}`));
}

interface InventoryManifest {
  destinationBucket: string;
  fileFormat: string;
  fileSchema: string;
  files: Array<{ key: string }>;
}

/** An S3 Inventory manifest.json: its gzipped CSV files (no header; columns as `fileSchema` says; keys URL-encoded). */
export async function readInventoryItems(client: S3Client, bucket: string, key: string): Promise<EngineItem[]> {
  const manifest = JSON.parse(await readText(client, bucket, key)) as InventoryManifest;
  if (manifest.fileFormat !== "CSV") throw new Error(`S3 Inventory manifest ${key}: only CSV inventories are read, not ${manifest.fileFormat}`);
  const columns = manifest.fileSchema.split(",").map((column) => column.trim());
  const dataBucket = manifest.destinationBucket.replace(/^arn:aws[\w-]*:s3:::/, "");
  const items: EngineItem[] = [];
  for (const file of manifest.files) {
    const text = gunzipSync(await readBytes(client, dataBucket, file.key)).toString("utf8");
    for (const row of parseCsv(text.endsWith("\n") ? text : `${text}\n`).rows) {
      const record = Object.fromEntries(columns.map((column, i) => [column, row[i] ?? ""]));
      if (!record.Key) continue;
      items.push({
        bucket: record.Bucket!,
        key: decodeURIComponent(record.Key.replace(/\+/g, " ")),
        ...(record.Size ? { size: Number(record.Size) } : {}),
      });
    }
  }
  return items;
}

/** The items the state machine's reader would produce for a source (for --resume and Batch Operations manifests). */
export async function readSourceItems(client: S3Client, source: EngineSource): Promise<EngineItem[]> {
  if (source.kind === "listing") return listItems(client, source.bucket, source.prefix);
  if (source.format === "MANIFEST") return readInventoryItems(client, source.bucket, source.key);
  return parseManifestRows(await readText(client, source.bucket, source.key), source.format, source.bucket);
}

/** Writes a JSONL manifest (contract format: Key, Bucket, plus Etag and Size when known) and returns its location. */
export async function writeJsonlManifest(client: S3Client, location: S3Location, items: readonly EngineItem[]): Promise<S3Location> {
  const body = items
    .map((item) => JSON.stringify({ Bucket: item.bucket, Key: item.key, ...(item.etag ? { Etag: item.etag } : {}), ...(item.size !== undefined ? { Size: item.size } : {}) }))
    .join("\n");
  await client.send(new PutObjectCommand({ Bucket: location.bucket, Key: location.key, Body: `${body}\n`, ContentType: "application/x-ndjson" }));
  return location;
}

/** S3 Batch Operations' CSV manifest: `bucket,key` rows, no header, keys URL-encoded. Returns the object's ETag. */
export async function writeBatchOperationsManifest(client: S3Client, location: S3Location, items: readonly EngineItem[]): Promise<string> {
  const body = items.map((item) => `${item.bucket},${encodeURIComponent(item.key)}\n`).join("");
  const response = await client.send(new PutObjectCommand({ Bucket: location.bucket, Key: location.key, Body: body, ContentType: "text/csv" }));
  return response.ETag ?? "";
}

export const itemIdentityKey = (item: { bucket: string; key: string }) => `${item.bucket}\n${item.key}`;

export type { ManifestFormat };
