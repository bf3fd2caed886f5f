import { readdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from "@aws-sdk/client-s3";
import { acceptedMimeTypes } from "../../../handler/image-formats.js";
import { contentTypeForFile } from "../../shared/content-type.js";
import type { S3Location } from "./s3.js";

/** A name whose extension maps to a format the handler decodes (.jpg, .png, .tif, ...). */
const isImageName = (name: string) => acceptedMimeTypes.includes(contentTypeForFile(name));

/** One input of a batch run; `version` (ETag or mtime) tells two states of the same object apart. */
export type InputItem =
  | { kind: "s3"; bucket: string; key: string; etag: string; size: number }
  | { kind: "file"; path: string; mtime: string; size: number };

/** Identity used by --resume: the same key or path and the same ETag or mtime. */
export function inputIdentity(item: { kind: "s3"; bucket: string; key: string; etag: string } | { kind: "file"; path: string; mtime: string }): string {
  return item.kind === "s3" ? `s3://${item.bucket}/${item.key}\n${item.etag}` : `${item.path}\n${item.mtime}`;
}

export const inputName = (item: InputItem) => (item.kind === "s3" ? `s3://${item.bucket}/${item.key}` : item.path);

/** Image files under `dir`, recursively, in a stable (sorted) order. */
export async function listLocalImages(dir: string): Promise<InputItem[]> {
  const root = resolve(dir);
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const paths = entries
    .filter((entry) => entry.isFile() && isImageName(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  return Promise.all(
    paths.map(async (path) => {
      const info = await stat(path);
      return { kind: "file" as const, path, mtime: info.mtime.toISOString(), size: info.size };
    }),
  );
}

/** Image objects under an S3 prefix, every page of ListObjectsV2, in key order. */
export async function listS3Images(client: S3Client, location: S3Location): Promise<InputItem[]> {
  const items: InputItem[] = [];
  const pages = paginateListObjectsV2({ client, pageSize: 1000 }, { Bucket: location.bucket, Prefix: location.key });
  for await (const page of pages) {
    for (const object of page.Contents ?? []) {
      if (!object.Key || object.Key.endsWith("/") || !isImageName(object.Key)) continue;
      items.push({ kind: "s3", bucket: location.bucket, key: object.Key, etag: object.ETag ?? "", size: object.Size ?? 0 });
    }
  }
  return items;
}

/** The bytes of one input. S3 reads pin the listed ETag, so a replaced object is not scored under the old ETag. */
export async function readInput(item: InputItem, client: S3Client | undefined): Promise<Uint8Array> {
  if (item.kind === "file") return readFile(item.path);
  const response = await client!.send(
    new GetObjectCommand({ Bucket: item.bucket, Key: item.key, ...(item.etag ? { IfMatch: item.etag } : {}) }),
  );
  return response.Body!.transformToByteArray();
}
