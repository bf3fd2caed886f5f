import { type Agent, type OutgoingHttpHeaders, request } from "node:http";

export interface RawResponse {
  status: number;
  /** Header names lowercased; repeated headers (set-cookie) keep every value. */
  headers: Record<string, string[]>;
  body: Buffer;
  /** True when the request went out on a kept-alive connection of `agent`. */
  reusedSocket: boolean;
}

/**
 * One HTTP/1.1 request, on its own connection unless an `agent` (keep-alive) is given. Header arrays are sent as repeated header lines, which `fetch`
 * cannot do. A body may be sent chunked (no content-length) to exercise streaming limits.
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: OutgoingHttpHeaders; body?: Uint8Array | string; chunked?: boolean; agent?: Agent } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", agent: options.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        const headers: Record<string, string[]> = {};
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const name = res.rawHeaders[i]!.toLowerCase();
          (headers[name] ??= []).push(res.rawHeaders[i + 1]!);
        }
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks), reusedSocket: req.reusedSocket });
      });
      res.on("error", reject);
    });
    // The server may answer (413) and hang up before an oversized body is fully written.
    req.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE" && error.code !== "ECONNRESET") reject(error);
    });
    for (const [name, value] of Object.entries(options.headers ?? {})) if (value !== undefined) req.setHeader(name, value);
    if (options.body !== undefined && !options.chunked) req.setHeader("content-length", Buffer.byteLength(options.body));
    if (options.body === undefined) return void req.end();
    if (!options.chunked) return void req.end(options.body);
    const bytes = Buffer.from(options.body);
    const chunkSize = 256 * 1024;
    const writeFrom = (offset: number): void => {
      if (offset >= bytes.length) return void req.end();
      const more = req.write(bytes.subarray(offset, offset + chunkSize));
      if (more) writeFrom(offset + chunkSize);
      else req.once("drain", () => writeFrom(offset + chunkSize));
    };
    writeFrom(0);
  });
}
