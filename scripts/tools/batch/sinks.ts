import { open, type FileHandle } from "node:fs/promises";
import { PassThrough } from "node:stream";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { OutputFormat } from "./formats.js";
import type { BatchRecord } from "./record.js";
import { planResume, type RescorePolicy, rescoreTransient } from "./resume.js";
import type { S3Location } from "./s3.js";
import { writeFileAtomic } from "../../build-time/files/atomic-write.js";

export interface Sink {
  /** Inputs the output already holds (only with --resume; empty otherwise). */
  readonly done: Set<string>;
  /** Error lines dropped from the output on resume so that their inputs are scored again. */
  readonly dropped: number;
  write(record: BatchRecord): Promise<void>;
  close(): Promise<void>;
}

export class OutputMismatchError extends Error {}

function checkHeader(format: OutputFormat, found: string | undefined, where: string): void {
  if (format.header && found && found !== format.header) {
    throw new OutputMismatchError(
      `${where} has the columns "${found.trim()}", but this run writes "${format.header.trim()}" (same --top-k and input kind needed to resume)`,
    );
  }
}

/**
 * Appends to a local file, one write per line, so a killed run loses only the lines in flight. With resume, a torn
 * last line (a kill mid-write) is cut off first, and error lines that `rescore` picks are dropped (the file is
 * rewritten atomically without them, so a kill leaves either the old file or one in which those inputs have no
 * line); without resume the file is replaced.
 */
export async function openFileSink(path: string, format: OutputFormat, resume: boolean, rescore: RescorePolicy = rescoreTransient): Promise<Sink> {
  let done = new Set<string>();
  let dropped = 0;
  let handle: FileHandle;
  let hasContent = false;
  if (resume) {
    handle = await open(path, "a+");
    const text = (await handle.readFile()).toString("utf8");
    const existing = format.readExisting(text);
    checkHeader(format, existing.header, path);
    const plan = planResume(existing, rescore);
    ({ done, dropped } = plan);
    if (dropped > 0) {
      await handle.close();
      await writeFileAtomic(path, plan.keptText);
      handle = await open(path, "a");
    } else {
      const keepBytes = Buffer.byteLength(text.slice(0, existing.completeLength));
      if (keepBytes < Buffer.byteLength(text)) await handle.truncate(keepBytes);
    }
    hasContent = plan.keptText.length > 0;
  } else {
    handle = await open(path, "w");
  }
  if (!hasContent && format.header) await handle.write(format.header);

  let queue = Promise.resolve();
  return {
    done,
    dropped,
    write(record) {
      const line = format.line(record);
      queue = queue.then(async () => {
        await handle.write(line);
      });
      return queue;
    },
    async close() {
      await queue;
      await handle.sync();
      await handle.close();
    },
  };
}

async function readExistingObject(client: S3Client, location: S3Location): Promise<string | undefined> {
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
    return await response.Body!.transformToString("utf8");
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchKey") return undefined;
    throw error;
  }
}

/**
 * Streams lines into one S3 object with a multipart Upload; the object appears when the run ends (or is
 * interrupted with Ctrl-C). S3 objects cannot be appended to, so --resume reads the existing object first and
 * rewrites it with its complete old lines (but the error lines `rescore` picks) followed by the new ones. A run killed hard leaves the old object as it
 * was (plus an incomplete multipart upload for the bucket's lifecycle rule to abort).
 */
export async function openS3Sink(
  client: S3Client,
  location: S3Location,
  format: OutputFormat,
  resume: boolean,
  rescore: RescorePolicy = rescoreTransient,
): Promise<Sink> {
  const body = new PassThrough();
  let done = new Set<string>();
  let dropped = 0;
  let hasContent = false;
  if (resume) {
    const text = await readExistingObject(client, location);
    if (text !== undefined) {
      const existing = format.readExisting(text);
      checkHeader(format, existing.header, `s3://${location.bucket}/${location.key}`);
      const plan = planResume(existing, rescore);
      ({ done, dropped } = plan);
      if (plan.keptText.length > 0) body.write(plan.keptText);
      hasContent = plan.keptText.length > 0;
    }
  }
  if (!hasContent && format.header) body.write(format.header);

  const contentType = format.name === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson";
  const upload = new Upload({
    client,
    params: { Bucket: location.bucket, Key: location.key, Body: body, ContentType: contentType },
    queueSize: 2,
    leavePartsOnError: false,
  });
  const finished = upload.done();
  // Surfaces an upload failure at close() instead of as an unhandled rejection mid-run.
  finished.catch(() => {});

  return {
    done,
    dropped,
    async write(record) {
      if (!body.write(format.line(record))) {
        await Promise.race([new Promise((resolve) => body.once("drain", resolve)), finished]);
      }
    },
    async close() {
      body.end();
      await finished;
    },
  };
}
