import { gunzipSync } from "node:zlib";
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from "@aws-sdk/client-s3";
import { parseCsv } from "../../../scripts/tools/batch/formats.js";

interface ItemReader {
  Resource: string;
  ReaderConfig?: { InputType?: string; CSVHeaderLocation?: string };
  Parameters: { Bucket: string; Prefix?: string; Key?: string };
}

async function getObject(s3: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return response.Body!.transformToByteArray();
}

const csvRows = (text: string) => parseCsv(text.endsWith("\n") ? text : `${text}\n`).rows.filter((row) => row.some((field) => field !== ""));

/** The items of a Distributed Map's ItemReader, shaped as AWS documents them per reader. */
export async function readItems(s3: S3Client, reader: ItemReader): Promise<Array<Record<string, unknown>>> {
  const { Bucket, Prefix, Key } = reader.Parameters;
  if (reader.Resource === "arn:aws:states:::s3:listObjectsV2") {
    const items: Array<Record<string, unknown>> = [];
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket, Prefix })) {
      for (const object of page.Contents ?? []) {
        items.push({ Etag: object.ETag, Key: object.Key, LastModified: Math.floor(object.LastModified!.getTime() / 1000), Size: object.Size, StorageClass: object.StorageClass ?? "STANDARD" });
      }
    }
    return items;
  }
  if (reader.Resource !== "arn:aws:states:::s3:getObject") throw new Error(`unsupported ItemReader ${reader.Resource}`);
  const text = new TextDecoder().decode(await getObject(s3, Bucket, Key!));
  switch (reader.ReaderConfig?.InputType) {
    case "CSV": {
      const [header, ...rows] = csvRows(text);
      return rows.map((row) => Object.fromEntries(header!.map((column, i) => [column, row[i] ?? ""])));
    }
    case "JSONL":
      return text.split("\n").filter((line) => line.trim()).map((line) => JSON.parse(line) as Record<string, unknown>);
    case "MANIFEST": {
      const manifest = JSON.parse(text) as { destinationBucket: string; fileSchema: string; files: Array<{ key: string }> };
      const columns = manifest.fileSchema.split(",").map((column) => column.trim());
      const dataBucket = manifest.destinationBucket.replace(/^arn:aws:s3:::/, "");
      const items: Array<Record<string, unknown>> = [];
      for (const file of manifest.files) {
        for (const row of csvRows(gunzipSync(await getObject(s3, dataBucket, file.key)).toString("utf8"))) {
          const record = Object.fromEntries(columns.map((column, i) => [column, row[i] ?? ""]));
          items.push({ Bucket: record.Bucket, Key: decodeURIComponent(record.Key!.replace(/\+/g, " ")), Size: Number(record.Size), LastModifiedDate: record.LastModifiedDate });
        }
      }
      return items;
    }
    default:
      throw new Error(`unsupported ReaderConfig.InputType ${reader.ReaderConfig?.InputType}`);
  }
}

/** ItemBatcher: consecutive items, at most MaxItemsPerBatch and MaxInputBytesPerBatch (the whole child input) each. */
export function batchItems(
  items: ReadonlyArray<Record<string, unknown>>,
  batcher: { MaxItemsPerBatch?: number; MaxInputBytesPerBatch?: number },
  batchInput: Record<string, unknown>,
): Array<{ BatchInput: Record<string, unknown>; Items: Array<Record<string, unknown>> }> {
  const maxItems = batcher.MaxItemsPerBatch ?? Number.POSITIVE_INFINITY;
  const maxBytes = batcher.MaxInputBytesPerBatch ?? 262_144;
  const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
  const batches: Array<{ BatchInput: Record<string, unknown>; Items: Array<Record<string, unknown>> }> = [];
  let current: Array<Record<string, unknown>> = [];
  for (const item of items) {
    const candidate = [...current, item];
    if (current.length > 0 && (candidate.length > maxItems || size({ BatchInput: batchInput, Items: candidate }) > maxBytes)) {
      batches.push({ BatchInput: batchInput, Items: current });
      current = [item];
    } else current = candidate;
  }
  if (current.length > 0) batches.push({ BatchInput: batchInput, Items: current });
  return batches;
}
