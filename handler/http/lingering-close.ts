import type { IncomingMessage } from "node:http";
import { Socket } from "node:net";

/** How much of a refused body the server still reads, and for how long, before it drops the connection anyway. */
export interface DrainBounds {
  /** Body bytes read and discarded once the request is refused. */
  maxBytes: number;
  maxMs: number;
}

/** 64 MiB is a second or less on loopback; 10 s lets a client on a slow network finish an ordinary oversize photo. */
export const defaultDrainBounds: DrainBounds = { maxBytes: 64 * 1024 * 1024, maxMs: 10_000 };

/**
 * Prepares a request that is refused before its body was read for a lingering close (RFC 9112 §9.6). Closing a
 * socket while the client is still sending makes the kernel answer with a TCP reset, and the reset destroys the answer
 * before the client reads it (fetch: "fetch failed", curl: "Send failure: Broken pipe"). So after the answer the
 * server half-closes, reads and discards the rest of the body, and closes once it has arrived, or once `bounds` are
 * spent. Call it before writing an answer with `connection: close`.
 */
export function lingerBeforeClosing(request: IncomingMessage, bounds: DrainBounds): void {
  const socket = request.socket;
  let drained = 0;
  let draining = false;
  let stop: () => void = () => {};
  request.on("data", (chunk: Buffer) => {
    drained += chunk.length;
    if (draining && drained > bounds.maxBytes) stop();
  });
  // Node's HTTP server ends a `connection: close` exchange with socket.destroySoon(): FIN, then close as soon as the
  // answer is flushed, whatever is still arriving. For this socket, wait for the body (bounded) first.
  socket.destroySoon = () => {
    socket.end();
    draining = true;
    drained = 0;
    const timer = setTimeout(() => stop(), bounds.maxMs);
    stop = () => {
      clearTimeout(timer);
      stop = () => {};
      Socket.prototype.destroySoon.call(socket);
    };
    socket.once("close", () => clearTimeout(timer));
    if (request.complete) stop();
    else request.once("end", () => stop());
  };
}
