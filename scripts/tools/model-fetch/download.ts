import { createHash } from "node:crypto";
import { open, rm } from "node:fs/promises";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";

/** A download that did not produce the expected bytes; the message says what went wrong and where. */
export class DownloadError extends Error {
  override readonly name = "DownloadError";
}

export interface DownloadOptions {
  expectedSha256: string;
  expectedSize: number;
  signal?: AbortSignal;
  /** Fail when the server sends nothing for this long (default 30 s). */
  idleTimeoutMs?: number;
  maxRedirects?: number;
  onProgress?: (receivedBytes: number) => void;
}

export interface DownloadResult {
  /** The URL that finally answered 200, after redirects. */
  url: string;
  sha256: string;
  size: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

function networkError(error: NodeJS.ErrnoException, url: URL): DownloadError {
  const code = error.code ?? error.message;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new DownloadError(`cannot resolve host ${url.hostname} (${code})`);
  if (code === "ECONNREFUSED") return new DownloadError(`connection refused by ${url.host}`);
  return new DownloadError(`request to ${url.href} failed: ${error.message}`);
}

/** One GET; resolves with the response headers, or rejects with the connection failure. */
function get(url: URL, options: DownloadOptions, onIdle: (error: DownloadError) => void): Promise<IncomingMessage> {
  const client = url.protocol === "https:" ? https : url.protocol === "http:" ? http : undefined;
  if (!client) return Promise.reject(new DownloadError(`unsupported URL protocol ${url.protocol} in ${url.href}`));
  const idleMs = options.idleTimeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const request = client.get(url, { signal: options.signal, headers: { "user-agent": "model-fetch", accept: "*/*" } });
    request.setTimeout(idleMs, () => {
      const error = new DownloadError(`no data from ${url.host} for ${idleMs / 1000} s`);
      onIdle(error);
      request.destroy(error);
    });
    request.once("response", resolve);
    request.once("error", (error) => reject(options.signal?.aborted ? error : networkError(error, url)));
  });
}

/** Follows redirects (GitHub sends model files to its LFS media host) until a final answer. */
async function openResponse(start: string, options: DownloadOptions, onIdle: (error: DownloadError) => void) {
  let url = new URL(start);
  const maxRedirects = options.maxRedirects ?? 5;
  for (let redirects = 0; ; redirects++) {
    const response = await get(url, options, onIdle);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (REDIRECT_STATUSES.has(status) && location) {
      response.resume();
      if (redirects >= maxRedirects) throw new DownloadError(`more than ${maxRedirects} redirects starting at ${start}`);
      url = new URL(location, url);
      continue;
    }
    if (status !== 200) {
      response.resume();
      throw new DownloadError(`HTTP ${status} ${response.statusMessage ?? ""}`.trimEnd() + ` from ${url.href}`);
    }
    return { response, url };
  }
}

/** Flushes the file's data to disk so that a rename after a crash cannot expose a file with missing blocks. */
async function syncToDisk(path: string): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Streams `url` into a new file at `destination`, hashing on the way, and checks size and sha256.
 * On any failure the file is removed, so `destination` either holds exactly the expected bytes or does not exist.
 */
export async function downloadToFile(url: string, destination: string, options: DownloadOptions): Promise<DownloadResult> {
  let idleFailure: DownloadError | undefined;
  const { response, url: finalUrl } = await openResponse(url, options, (error) => (idleFailure = error));

  const announced = response.headers["content-length"];
  if (announced !== undefined && Number(announced) !== options.expectedSize) {
    response.destroy();
    throw new DownloadError(
      `size mismatch for ${finalUrl.href}: server announces ${announced} bytes, catalog expects ${options.expectedSize}`,
    );
  }

  const hash = createHash("sha256");
  let received = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > options.expectedSize) {
        callback(new DownloadError(`size mismatch: ${finalUrl.href} sent more than the expected ${options.expectedSize} bytes`));
        return;
      }
      hash.update(chunk);
      options.onProgress?.(received);
      callback(null, chunk);
    },
  });

  // "wx": never write into a file that is not ours; the stream closes the handle when it ends or fails.
  const file = await open(destination, "wx").catch((error: unknown) => {
    response.destroy();
    throw error;
  });
  try {
    try {
      await pipeline(response, tap, file.createWriteStream(), { signal: options.signal });
    } catch (error) {
      if (options.signal?.aborted) throw new DownloadError("download cancelled");
      if (idleFailure) throw idleFailure;
      if (error instanceof DownloadError) throw error;
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw new DownloadError(
        `connection to ${finalUrl.host} closed after ${received} of ${options.expectedSize} bytes (${reason})`,
      );
    }
    if (received !== options.expectedSize) {
      throw new DownloadError(
        `size mismatch for ${finalUrl.href}: received ${received} bytes, expected ${options.expectedSize}`,
      );
    }
    const sha256 = hash.digest("hex");
    if (sha256 !== options.expectedSha256.toLowerCase()) {
      throw new DownloadError(
        `checksum mismatch for ${finalUrl.href}: expected sha256 ${options.expectedSha256}, got ${sha256}`,
      );
    }
    await syncToDisk(destination);
    return { url: finalUrl.href, sha256, size: received };
  } catch (error) {
    await file.close().catch(() => {}); // already closed by the stream unless the pipeline never started
    await rm(destination, { force: true });
    throw error;
  }
}
