import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { lambdaLimits } from "../limits.js";
import { readBodyWithin } from "../../../../handler/http/read-body.js";
import { type RuntimeInvocation, invocationHeaders } from "./invocation.js";
import { replyAccepted, replyError } from "./replies.js";
import { type RuntimeError, parseRuntimeError } from "./runtime-error.js";
import { matchRoute, methodFor } from "./routes.js";

/** How one invocation ended, as the runtime reported it. */
export type RuntimeResult = { kind: "response"; payload: string } | { kind: "error"; error: RuntimeError };

/** How the init phase ended: the runtime's first `next` (ready), or its `init/error`. */
export type InitResult = { kind: "ready"; at: number } | { kind: "init-error"; error: RuntimeError };

interface Current {
  invocation: RuntimeInvocation;
  /** Set once the invocation has been handed to the runtime on a `next`. */
  delivered: boolean;
  settle: (result: RuntimeResult) => void;
}

const errorTypeHeader = "lambda-runtime-function-error-type";

/**
 * The Runtime API of one execution environment (AWS's documented API, version 2018-06-01) on 127.0.0.1: the runtime
 * long-polls `next`, posts each invocation's response or error, or `init/error` before its first `next`.
 */
export class RuntimeApiServer {
  /** Settles when the runtime first asks for an invocation or reports an init error. */
  readonly initialized: Promise<InitResult>;
  private resolveInit!: (result: InitResult) => void;
  private initDone = false;
  private parkedNext: ServerResponse | undefined;
  private current: Current | undefined;
  /** Ids of invocations that have ended; a second post for one is refused as AWS does (403). */
  private readonly finished = new Set<string>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {
    this.initialized = new Promise((resolve) => (this.resolveInit = resolve));
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      this.route(request, response).catch((error: unknown) => {
        if (!response.headersSent) replyError(response, 500, "ServiceException", error instanceof Error ? error.message : String(error));
      });
    });
  }

  static async start(host = "127.0.0.1"): Promise<RuntimeApiServer> {
    // A parked `next` may wait as long as the environment stays idle.
    const server = createServer({ requestTimeout: 0, keepAliveTimeout: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return new RuntimeApiServer(server, (server.address() as AddressInfo).port);
  }

  /** `host:port`, the value of AWS_LAMBDA_RUNTIME_API. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Hands the invocation to the runtime (now if it waits on `next`, else on its next `next`). */
  dispatch(invocation: RuntimeInvocation): Promise<RuntimeResult> {
    if (this.current) throw new Error("an execution environment runs one invocation at a time");
    return new Promise((settle) => {
      this.current = { invocation, delivered: false, settle };
      if (this.parkedNext) {
        const parked = this.parkedNext;
        this.parkedNext = undefined;
        this.deliver(parked);
      }
    });
  }

  /** Forgets the invocation in progress (it timed out); later posts for it are refused. */
  abandon(): void {
    if (!this.current) return;
    this.finished.add(this.current.invocation.requestId);
    this.current = undefined;
  }

  async close(): Promise<void> {
    this.parkedNext?.destroy();
    this.parkedNext = undefined;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const route = matchRoute(request.url ?? "/");
    if (!route) return replyError(response, 404, "InvalidPath", `No Runtime API path ${request.method} ${request.url}`);
    if (request.method !== methodFor(route)) {
      response.setHeader("allow", methodFor(route));
      return replyError(response, 405, "MethodNotAllowed", `${request.method} is not allowed on ${request.url}`);
    }
    if (route.kind === "next") return this.onNext(response);
    const body = await readBodyWithin(request, lambdaLimits.responsePayloadBytes);
    if (route.kind === "init-error") {
      if (this.initDone) return replyError(response, 403, "InvalidStateTransition", "init/error is only accepted before the first invocation/next");
      const error = body.kind === "complete" ? parseRuntimeError(body.bytes, header(request, errorTypeHeader)) : tooLargeError();
      this.initDone = true;
      replyAccepted(response);
      return this.resolveInit({ kind: "init-error", error });
    }
    const current = this.current;
    if (!current?.delivered || current.invocation.requestId !== route.requestId) {
      if (this.finished.has(route.requestId)) {
        return replyError(response, 403, "InvalidStateTransition", `Invocation ${route.requestId} has already ended`);
      }
      return replyError(response, 400, "InvalidRequestID", "Invalid request ID");
    }
    if (body.kind === "too-large") {
      request.resume();
      this.end(current, { kind: "error", error: tooLargeError() });
      return replyError(
        response,
        413,
        "RequestEntityTooLarge",
        `Exceeded maximum allowed payload size (${lambdaLimits.responsePayloadBytes} bytes).`,
      );
    }
    replyAccepted(response);
    if (route.kind === "response") this.end(current, { kind: "response", payload: body.bytes.toString("utf8") });
    else this.end(current, { kind: "error", error: parseRuntimeError(body.bytes, header(request, errorTypeHeader)) });
  }

  private onNext(response: ServerResponse): void {
    if (!this.initDone) {
      this.initDone = true;
      this.resolveInit({ kind: "ready", at: performance.now() });
    }
    if (this.current?.delivered) {
      const { requestId } = this.current.invocation;
      return replyError(response, 403, "InvalidStateTransition", `Invocation ${requestId} has no response or error yet`);
    }
    if (this.parkedNext) return replyError(response, 403, "InvalidStateTransition", "Another invocation/next is already waiting");
    if (this.current) return this.deliver(response);
    this.parkedNext = response;
    response.once("close", () => {
      if (this.parkedNext === response) this.parkedNext = undefined;
    });
  }

  private deliver(response: ServerResponse): void {
    const current = this.current!;
    current.delivered = true;
    const body = Buffer.from(current.invocation.eventPayload);
    response.writeHead(200, {
      ...invocationHeaders(current.invocation),
      "content-type": "application/json",
      "content-length": body.length,
    });
    response.end(body);
  }

  private end(current: Current, result: RuntimeResult): void {
    this.finished.add(current.invocation.requestId);
    this.current = undefined;
    current.settle(result);
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function tooLargeError(): RuntimeError {
  return {
    errorType: "Function.ResponseSizeTooLarge",
    errorMessage: `Response payload size exceeded maximum allowed payload size (${lambdaLimits.responsePayloadBytes} bytes).`,
    stackTrace: [],
  };
}
