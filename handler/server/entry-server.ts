import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { ClientError, errorBody } from "../errors.js";
import { receivedRequestOf } from "../http/event.js";
import { defaultDrainBounds, lingerBeforeClosing } from "../http/lingering-close.js";
import { readBodyWithin } from "../http/read-body.js";
import { type HttpReply, replyFromResult } from "../http/reply.js";
import { writeReply } from "../http/write-reply.js";
import { errorResponse, type HttpResponse, roundMs } from "../response.js";
import type { Telemetry } from "../telemetry.js";
import { ownedArrayBuffer } from "./owned-buffer.js";
import { SERVER_DEFAULTS } from "./settings.js";
import type { Job, JobOutcome, WorkerPool } from "./worker-pool.js";

export interface EntryServerOptions {
  pool: WorkerPool;
  /** Requests admitted beyond one per worker (SERVER_QUEUE_DEPTH); more are answered 429 THROTTLED. */
  queueDepth: number;
  maxBodyBytes: number;
  /** GET /health's answer while serving (the handler's own body, built on the main thread). */
  health: () => HttpResponse;
  /** Logs and measures what the main thread answers itself (413, 429, a crashed worker's 500). */
  telemetry: Telemetry;
}

export interface EntryServer {
  server: Server;
  /** Requests admitted and not yet answered: bodies arriving, queued, running. */
  readonly admitted: number;
  /** From now on: /health answers 503, every answer closes its connection; resolves when nothing is admitted. */
  drain(): Promise<void>;
}

const isHealthCheck = (request: IncomingMessage) => request.method === "GET" && (request.url ?? "").split("?", 1)[0] === "/health";

/**
 * The server entry's HTTP side: reads each body within MAX_BODY_BYTES, admits at most one request per worker plus the
 * queue depth, hands each to the worker pool and writes the handler's answer as a function URL would. GET /health is
 * answered here, never queued.
 */
export function createEntryServer({ pool, queueDepth, maxBodyBytes, health, telemetry }: EntryServerOptions): EntryServer {
  const capacity = pool.size + queueDepth;
  let admitted = 0;
  let draining = false;
  let onIdle: (() => void) | undefined;

  const release = () => {
    admitted -= 1;
    if (admitted === 0) onIdle?.();
  };

  const send = (response: ServerResponse, reply: HttpReply) => writeReply(response, reply, draining);

  /** An answer of the main thread's own: logged and measured as the handler logs its answers. */
  const answerError = (request: IncomingMessage, response: ServerResponse, requestId: string, error: unknown, startedAt: number, bytes = 0) => {
    const answer = errorResponse(error, requestId);
    const code = errorBody(error).code;
    if (!(error instanceof ClientError)) telemetry.recordFault(error, requestId);
    telemetry.recordRequest(
      { requestId, invocationId: "", method: request.method ?? "", route: "server", status: answer.statusCode, coldStart: false, bytes, totalMs: roundMs(performance.now() - startedAt), errorCode: code },
      undefined,
    );
    return replyFromResult(answer, requestId)!;
  };

  /** Answers before the body was read: the rest of the body is drained (bounded) so the client reads the answer. */
  const refuse = (request: IncomingMessage, response: ServerResponse, requestId: string, error: ClientError, startedAt: number) => {
    lingerBeforeClosing(request, defaultDrainBounds);
    writeReply(response, answerError(request, response, requestId, error, startedAt), true);
  };

  const throttled = () => new ClientError("THROTTLED", `the server is busy: ${capacity} requests are running or queued; retry later`);
  const tooLarge = (size: string) => new ClientError("PAYLOAD_TOO_LARGE", `the request body is ${size}; the limit is ${maxBodyBytes} bytes`);

  async function handle(request: IncomingMessage, response: ServerResponse, requestId: string, startedAt: number): Promise<void> {
    const receivedAt = new Date();
    const body = await readBodyWithin(request, maxBodyBytes);
    if (body.kind === "too-large") return refuse(request, response, requestId, tooLarge(`over ${maxBodyBytes} bytes`), startedAt);

    const outcome = await new Promise<JobOutcome | undefined>((resolve) => {
      const job: Job = {
        requestId,
        receivedAt,
        request: receivedRequestOf(request),
        body: ownedArrayBuffer(body.bytes),
        settle: resolve,
      };
      // A client that went away while its request waited: the request is dropped without running.
      response.once("close", () => {
        if (!response.writableFinished && pool.withdraw(job)) resolve(undefined);
      });
      pool.submit(job);
    });
    if (!outcome || response.destroyed) return;
    if (outcome.kind === "crash") return send(response, answerError(request, response, requestId, outcome.error, startedAt, body.bytes.byteLength));
    send(response, replyFromResult(outcome.response, requestId) ?? answerError(request, response, requestId, new Error("the handler answered no valid status"), startedAt));
  }

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    const requestId = randomUUID();
    const startedAt = performance.now();
    if (isHealthCheck(request)) {
      const answer = draining ? errorResponse(new ClientError("SHUTTING_DOWN", "the server is shutting down"), requestId) : health();
      return send(response, replyFromResult(answer, requestId)!);
    }
    if (admitted >= capacity) return refuse(request, response, requestId, throttled(), startedAt);
    admitted += 1;
    response.once("close", release);
    handle(request, response, requestId, startedAt).catch((error: unknown) => {
      // A client that hangs up mid-upload is not the server's fault.
      if (request.destroyed || response.destroyed) return;
      if (!response.headersSent) send(response, answerError(request, response, requestId, error, startedAt));
      else response.destroy();
    });
  };

  const server = createServer(
    { keepAliveTimeout: SERVER_DEFAULTS.keepAliveTimeoutMs, headersTimeout: SERVER_DEFAULTS.keepAliveTimeoutMs + 1_000 },
    onRequest,
  );
  // Refuse an oversized or unadmittable upload before the client sends it, when it asks first (curl does above 1 MB).
  server.on("checkContinue", (request: IncomingMessage, response: ServerResponse) => {
    const declared = Number(request.headers["content-length"] ?? 0);
    if (declared > maxBodyBytes) return refuse(request, response, randomUUID(), tooLarge(`${declared} bytes`), performance.now());
    if (!isHealthCheck(request) && admitted >= capacity) return refuse(request, response, randomUUID(), throttled(), performance.now());
    response.writeContinue();
    onRequest(request, response);
  });

  return {
    server,
    get admitted() {
      return admitted;
    },
    drain() {
      draining = true;
      return admitted === 0 ? Promise.resolve() : new Promise<void>((resolve) => (onIdle = resolve));
    },
  };
}
