import { randomUUID } from "node:crypto";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SERVICE_NAME } from "../../../handler/settings.js";
import { buildFunctionUrlEvent, receivedRequestOf } from "../../../handler/http/event.js";
import { type DrainBounds, defaultDrainBounds, lingerBeforeClosing } from "../../../handler/http/lingering-close.js";
import { readBodyWithin } from "../../../handler/http/read-body.js";
import { type HttpReply, replyFromResultPayload } from "../../../handler/http/reply.js";
import { writeReply } from "../../../handler/http/write-reply.js";
import { hostForUrl, hostPolicy } from "./host-check.js";
import { lambdaLimits } from "./limits.js";
import { type ContainerImageOptions, containerEnvironmentFactory } from "./container-environment.js";
import { ExecutionEnvironment } from "./environment.js";
import type { EnvironmentFactory } from "./function-environment.js";
import { EnvironmentPool, type PoolOutcome, PoolClosedError, PoolThrottledError } from "./pool.js";
import { type InvocationReport, formatReportLine } from "./report.js";
import { functionErrorReply, misdirectedReply, payloadTooLargeReply, throttledReply } from "./response.js";

export interface LocalFunctionUrlOptions {
  /** Module exporting the Lambda handler (the real one is `handler/index.ts`); not used with `image`. */
  handlerModule: string;
  handlerExport?: string;
  /** Run each execution environment as a container of this function image instead of a child process. */
  image?: ContainerImageOptions;
  /**
   * Starts the execution environments, given their environment variables (Lambda's added). Default: child processes
   * of `handlerModule`, or containers of `image`.
   */
  environmentFactory?: (env: NodeJS.ProcessEnv) => EnvironmentFactory;
  /**
   * Start every execution environment before listening, and fail to start if one cannot init (default true). False:
   * each starts on its first request, as on-demand Lambda does, and an init error is that request's answer (502).
   */
  initUpFront?: boolean;
  /** 0 picks a free port. */
  port?: number;
  /**
   * Address to bind (default 127.0.0.1). It also decides which Host headers are answered (host-check.ts); others get 421.
   */
  host?: string;
  /** Number of execution environments; each runs one request at a time. */
  concurrency?: number;
  /**
   * Requests that may wait for a free environment; more are answered 429 as Lambda throttles.
   * Default: `defaultMaxQueued(concurrency)`.
   */
  maxQueued?: number;
  timeoutSeconds?: number;
  memorySizeMB?: number;
  functionName?: string;
  /** Base environment of the execution environments (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Where the function's own output goes (default: this process's stdout/stderr). */
  functionOutput?: "inherit" | "ignore";
  /** Receives REPORT lines and other Lambda-style platform lines (default: stdout). */
  log?: (line: string) => void;
  /** How much of a refused (413, 421) body is still read so the client can read the answer. Default: `defaultDrainBounds`. */
  drainBounds?: DrainBounds;
}

/** 16 waiting requests per environment: a queue of a few seconds of work, at most ~20 MB of memory each. */
export const defaultMaxQueued = (concurrency: number) => 16 * concurrency;

/** Connections beyond the requests that can run or wait: idle keep-alive connections and bodies still arriving. */
export const spareConnections = 32;
/** How long a client may take to send its headers. */
export const headersTimeoutMs = 10_000;
/** Added to the function timeout for the time a client may take to send a whole request. */
export const requestTimeoutMarginMs = 10_000;

export interface LocalFunctionUrl {
  url: string;
  port: number;
  host: string;
  /** The bounds the server applies (derived from the options). */
  limits: {
    maxQueued: number;
    maxConnections: number;
    headersTimeoutMs: number;
    requestTimeoutMs: number;
  };
  /** Stops accepting connections, finishes requests in flight, stops the environments. */
  close(): Promise<void>;
}

/** The variables Lambda sets in an execution environment, unless the caller's environment already has them. */
function environmentVariables(options: LocalFunctionUrlOptions): NodeJS.ProcessEnv {
  const base = options.env ?? process.env;
  const functionName = options.functionName ?? base.AWS_LAMBDA_FUNCTION_NAME ?? SERVICE_NAME;
  const memorySizeMB = options.memorySizeMB ?? Number(base.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? 2048);
  return {
    ...base,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySizeMB),
    AWS_LAMBDA_FUNCTION_VERSION: base.AWS_LAMBDA_FUNCTION_VERSION ?? "$LATEST",
    AWS_LAMBDA_INITIALIZATION_TYPE: base.AWS_LAMBDA_INITIALIZATION_TYPE ?? "local",
    AWS_LAMBDA_LOG_GROUP_NAME: base.AWS_LAMBDA_LOG_GROUP_NAME ?? `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: base.AWS_LAMBDA_LOG_STREAM_NAME ?? "local",
    AWS_REGION: base.AWS_REGION ?? "us-east-1",
  };
}

/** The ARN a function of this name would have, in the account id Lambda's local tools use. */
export function localFunctionArn(env: NodeJS.ProcessEnv): string {
  return `arn:aws:lambda:${env.AWS_REGION}:000000000000:function:${env.AWS_LAMBDA_FUNCTION_NAME}`;
}

function defaultEnvironmentFactory(options: LocalFunctionUrlOptions, timeoutMs: number): (env: NodeJS.ProcessEnv) => EnvironmentFactory {
  const output = options.functionOutput ?? "inherit";
  const image = options.image;
  if (image) {
    // Lambda allows 10 s of init, then retries it within the invocation's own timeout.
    const initTimeoutMs = 10_000 + timeoutMs;
    return (env) => containerEnvironmentFactory({ image, env, output, invokedFunctionArn: localFunctionArn(env), initTimeoutMs });
  }
  const handlerExport = options.handlerExport ?? "handler";
  return (env) => () => ExecutionEnvironment.start({ handlerModule: options.handlerModule, handlerExport, env, output });
}

function reportFor(outcome: PoolOutcome, requestId: string, memorySizeMB: number): InvocationReport {
  const report: InvocationReport = {
    requestId,
    durationMs: outcome.durationMs,
    memorySizeMB,
    maxMemoryUsedMB: outcome.maxMemoryUsedMB,
  };
  if ("initDurationMs" in outcome && outcome.initDurationMs !== undefined) report.initDurationMs = outcome.initDurationMs;
  if (outcome.kind === "crash") report.failure = { status: "error", errorType: outcome.errorType };
  if (outcome.kind === "timeout") report.failure = { status: "timeout" };
  if (outcome.kind === "init-error") report.failure = { status: "error", errorType: outcome.errorType };
  return report;
}

function replyFor(outcome: PoolOutcome, requestId: string): HttpReply {
  if (outcome.kind !== "result") return functionErrorReply(requestId);
  if (Buffer.byteLength(outcome.payload) > lambdaLimits.responsePayloadBytes) return functionErrorReply(requestId);
  return replyFromResultPayload(outcome.payload, requestId) ?? functionErrorReply(requestId);
}

/** Starts a local Lambda function URL in front of the handler module. */
export async function startLocalFunctionUrl(options: LocalFunctionUrlOptions): Promise<LocalFunctionUrl> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const env = environmentVariables(options);
  const memorySizeMB = Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE);
  const timeoutMs = (options.timeoutSeconds ?? 30) * 1000;
  const concurrency = options.concurrency ?? 1;
  const maxQueued = options.maxQueued ?? defaultMaxQueued(concurrency);
  const drainBounds = options.drainBounds ?? defaultDrainBounds;
  const host = options.host ?? "127.0.0.1";
  const pool = new EnvironmentPool(concurrency, (options.environmentFactory ?? defaultEnvironmentFactory(options, timeoutMs))(env), maxQueued, options.initUpFront ?? true);
  await pool.start();
  // Known once the port is bound.
  let acceptsHost: (hostHeader: string | undefined) => boolean = () => false;

  /** Answers before the body is read, then drains it (bounded) so the client can read the answer. */
  const refuse = (request: IncomingMessage, response: ServerResponse, reply: HttpReply) => {
    lingerBeforeClosing(request, drainBounds);
    writeReply(response, reply, true);
  };
  /** False (and answered 421) when the Host header does not name this server. */
  const checkHost = (request: IncomingMessage, response: ServerResponse): boolean => {
    if (acceptsHost(request.headers.host)) return true;
    refuse(request, response, misdirectedReply(randomUUID(), request.headers.host));
    return false;
  };

  let closing = false;
  let inFlight = 0;
  let onDrained: (() => void) | undefined;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const receivedAt = new Date();
    const tooLarge = () => refuse(request, response, payloadTooLargeReply(requestId));

    const body = await readBodyWithin(request, lambdaLimits.requestPayloadBytes);
    if (body.kind === "too-large") return tooLarge();

    const event = buildFunctionUrlEvent({ ...receivedRequestOf(request), body: body.bytes }, { requestId, receivedAt, urlId: "local" });
    const eventPayload = JSON.stringify(event);
    if (Buffer.byteLength(eventPayload) > lambdaLimits.requestPayloadBytes) return tooLarge();

    const abandoned = new AbortController();
    response.once("close", () => {
      if (!response.writableFinished) abandoned.abort(new Error("client went away"));
    });
    let outcome: PoolOutcome;
    try {
      outcome = await pool.invoke(requestId, eventPayload, timeoutMs, abandoned.signal);
    } catch (error) {
      if (abandoned.signal.aborted) return;
      if (error instanceof PoolClosedError) return writeReply(response, functionErrorReply(requestId), true);
      if (error instanceof PoolThrottledError) {
        log(`${requestId} throttled: ${error.message}`);
        return writeReply(response, throttledReply(requestId), closing);
      }
      throw error;
    }
    if (outcome.kind === "timeout") {
      log(`${new Date().toISOString()} ${requestId} Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
    }
    if (outcome.kind === "init-error") log(`${requestId} ${outcome.errorMessage}`);
    log(formatReportLine(reportFor(outcome, requestId, memorySizeMB)));
    if (!response.destroyed) writeReply(response, replyFor(outcome, requestId), closing);
  }

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    if (!checkHost(request, response)) return;
    inFlight += 1;
    handle(request, response)
      .catch((error: unknown) => {
        // A client that hangs up mid-upload is not the server's fault.
        if (request.destroyed || response.destroyed) return;
        log(`local function URL error: ${error instanceof Error ? error.message : String(error)}`);
        if (!response.headersSent) writeReply(response, functionErrorReply("none"), true);
        else response.destroy();
      })
      .finally(() => {
        inFlight -= 1;
        if (inFlight === 0) onDrained?.();
      });
  };

  const server: Server = createServer(
    {
      keepAliveTimeout: 5_000,
      headersTimeout: headersTimeoutMs,
      requestTimeout: timeoutMs + requestTimeoutMarginMs,
    },
    onRequest,
  );
  server.maxConnections = concurrency + maxQueued + spareConnections;
  // Refuse an oversized upload before the client sends it, when it asks first (curl does above 1 MB).
  server.on("checkContinue", (request: IncomingMessage, response: ServerResponse) => {
    if (!checkHost(request, response)) return;
    const declared = Number(request.headers["content-length"] ?? 0);
    if (declared > lambdaLimits.requestPayloadBytes) return refuse(request, response, payloadTooLargeReply(randomUUID()));
    response.writeContinue();
    onRequest(request, response);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 9000, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await pool.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  acceptsHost = hostPolicy(host, port).accepts;

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) await new Promise<void>((resolve) => (onDrained = resolve));
      server.closeAllConnections();
      await stopped;
      await pool.close();
    })();
    return closed;
  };

  const limits = {
    maxQueued,
    maxConnections: server.maxConnections,
    headersTimeoutMs: server.headersTimeout,
    requestTimeoutMs: server.requestTimeout,
  };
  return { url: `http://${hostForUrl(host)}:${port}`, port, host, limits, close };
}

