import type { IncomingMessage } from "node:http";

export type BodyReadResult = { kind: "complete"; bytes: Buffer } | { kind: "too-large" };

/** The declared Content-Length, if any and valid. */
export function declaredLength(request: IncomingMessage): number | undefined {
  const header = request.headers["content-length"];
  if (header === undefined || !/^\d+$/.test(header)) return undefined;
  return Number(header);
}

/**
 * Reads the request body, but stops as soon as it is known to exceed `limitBytes`
 * (from Content-Length up front, or while counting a chunked body): nothing over the limit is buffered.
 */
export function readBodyWithin(request: IncomingMessage, limitBytes: number): Promise<BodyReadResult> {
  const declared = declaredLength(request);
  if (declared !== undefined && declared > limitBytes) return Promise.resolve({ kind: "too-large" });

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = () => {
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) {
        cleanup();
        request.pause();
        chunks.length = 0;
        resolve({ kind: "too-large" });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve({ kind: "complete", bytes: Buffer.concat(chunks, received) });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onError);
  });
}
