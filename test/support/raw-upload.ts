import { connect } from "node:net";

export interface RawUploadResult {
  /** Everything the server sent, as text. */
  received: string;
  /** Whether every byte of the body was handed to the kernel without a write error. */
  bodySent: boolean;
  /** The socket error, if any (EPIPE, ECONNRESET when the server resets the connection). */
  errorCode: string | undefined;
}

/**
 * A POST over a plain socket: the request line and headers, then `sendBytes` of a body that declares
 * `declaredBytes`, written as fast as the socket takes it without waiting for an answer (as fetch and curl without
 * `Expect: 100-continue` do). Resolves once the server has closed the connection.
 */
export function rawUpload(port: number, options: { declaredBytes: number; sendBytes?: number; host?: string }): Promise<RawUploadResult> {
  const sendBytes = options.sendBytes ?? options.declaredBytes;
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let bodySent = false;
    let errorCode: string | undefined;
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => (errorCode = error.code ?? error.message));
    // The server half-closes after its answer; this client closes its side once it has sent what it meant to.
    socket.on("end", () => {
      if (bodySent) socket.end();
    });
    socket.on("close", () => resolve({ received: Buffer.concat(chunks).toString("latin1"), bodySent, errorCode }));
    socket.write(
      `POST /classify HTTP/1.1\r\nHost: ${options.host ?? `127.0.0.1:${port}`}\r\n` +
        `Content-Type: application/octet-stream\r\nContent-Length: ${options.declaredBytes}\r\n\r\n`,
    );
    socket.write(Buffer.alloc(sendBytes, 7), (error) => {
      if (error) return;
      bodySent = true;
      if (socket.readableEnded) socket.end();
    });
  });
}
