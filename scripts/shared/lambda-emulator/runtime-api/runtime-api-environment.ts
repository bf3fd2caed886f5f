import { performance } from "node:perf_hooks";
import { EnvironmentInitError, type FunctionEnvironment, type InvocationOutcome } from "../function-environment.js";
import { newTraceId } from "./invocation.js";
import { type InitResult, RuntimeApiServer, type RuntimeResult } from "./runtime-api-server.js";

/** A runtime started against a Runtime API address (a container, or a fake client in tests). */
export interface LaunchedRuntime {
  /** Settles when the runtime has ended, with a description of how (exit code, signal). */
  readonly exited: Promise<string>;
  /** Stops the runtime at once and resolves when it has ended. */
  kill(): Promise<void>;
  /** The runtime's peak memory so far in MB, 0 when it cannot be read. */
  maxMemoryUsedMB(): Promise<number>;
}

/** Starts a runtime whose AWS_LAMBDA_RUNTIME_API is `runtimeApi` (`127.0.0.1:<port>`). */
export type RuntimeLauncher = (runtimeApi: string) => LaunchedRuntime;

export interface RuntimeApiEnvironmentOptions {
  launch: RuntimeLauncher;
  /** The ARN sent in Lambda-Runtime-Invoked-Function-Arn. */
  invokedFunctionArn: string;
  /** How long the runtime may take to reach its first `next` before the environment is abandoned. */
  initTimeoutMs: number;
}

type InitEnd = InitResult | { kind: "exit"; how: string } | { kind: "init-timeout" };

/**
 * One execution environment behind its own Runtime API endpoint. Init is launch → the runtime's first `next`; an
 * invocation past its deadline kills the runtime (timeout), a runtime that ends mid-invocation is a crash
 * (Runtime.ExitError); either way the environment is dead and the pool starts a new one (a cold start).
 */
export class RuntimeApiEnvironment implements FunctionEnvironment {
  private exited = false;
  private retired = false;
  private coldStartPending = true;
  private lastMaxMemoryUsedMB = 0;

  private constructor(
    private readonly api: RuntimeApiServer,
    private readonly runtime: LaunchedRuntime,
    private readonly invokedFunctionArn: string,
    readonly initDurationMs: number,
  ) {
    void runtime.exited.then(() => {
      this.exited = true;
      void api.close();
    });
  }

  static async start(options: RuntimeApiEnvironmentOptions): Promise<RuntimeApiEnvironment> {
    const api = await RuntimeApiServer.start();
    const launched = performance.now();
    let runtime: LaunchedRuntime;
    try {
      runtime = options.launch(api.address);
    } catch (error) {
      await api.close();
      throw new EnvironmentInitError("the runtime could not be launched", { cause: error, errorType: "Runtime.Unknown" });
    }
    let timer: NodeJS.Timeout | undefined;
    const end = await Promise.race<InitEnd>([
      api.initialized,
      runtime.exited.then((how) => ({ kind: "exit", how }) as const),
      new Promise<InitEnd>((resolve) => (timer = setTimeout(() => resolve({ kind: "init-timeout" }), options.initTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (end.kind === "ready") return new RuntimeApiEnvironment(api, runtime, options.invokedFunctionArn, end.at - launched);
    await runtime.kill();
    await api.close();
    if (end.kind === "init-error") {
      throw new EnvironmentInitError(`${end.error.errorType}: ${end.error.errorMessage}`, { errorType: end.error.errorType });
    }
    if (end.kind === "exit") {
      throw new EnvironmentInitError(`the runtime exited during init (${end.how})`, { errorType: "Runtime.ExitError" });
    }
    throw new EnvironmentInitError(`the runtime did not ask for an invocation within ${options.initTimeoutMs} ms of its start`, {
      errorType: "Sandbox.Timedout",
    });
  }

  get alive(): boolean {
    return !this.exited && !this.retired;
  }

  takeColdStart(): boolean {
    const cold = this.coldStartPending;
    this.coldStartPending = false;
    return cold;
  }

  async invoke(requestId: string, eventPayload: string, timeoutMs: number): Promise<InvocationOutcome> {
    if (!this.alive) throw new Error("the execution environment has stopped");
    const started = performance.now();
    const result = this.api.dispatch({
      requestId,
      eventPayload,
      deadlineMs: Date.now() + timeoutMs,
      invokedFunctionArn: this.invokedFunctionArn,
      traceId: newTraceId(),
    });
    let timer: NodeJS.Timeout | undefined;
    const end = await Promise.race<RuntimeResult | { kind: "exit" } | { kind: "timeout" }>([
      result,
      this.runtime.exited.then(() => ({ kind: "exit" }) as const),
      new Promise((resolve) => (timer = setTimeout(() => resolve({ kind: "timeout" }), timeoutMs))),
    ]);
    clearTimeout(timer);
    const durationMs = performance.now() - started;
    if (end.kind === "timeout") {
      this.retired = true;
      this.api.abandon();
      await this.runtime.kill();
      return { kind: "timeout", durationMs, maxMemoryUsedMB: this.lastMaxMemoryUsedMB };
    }
    if (end.kind === "exit") {
      this.api.abandon();
      return { kind: "crash", errorType: "Runtime.ExitError", durationMs, maxMemoryUsedMB: this.lastMaxMemoryUsedMB };
    }
    const maxMemoryUsedMB = await this.readMaxMemoryUsed();
    if (end.kind === "response") return { kind: "result", payload: end.payload, durationMs, maxMemoryUsedMB };
    const { errorType, errorMessage } = end.error;
    return { kind: "error", errorType, errorMessage, durationMs, maxMemoryUsedMB };
  }

  async stop(): Promise<void> {
    this.retired = true;
    if (!this.exited) await this.runtime.kill();
    await this.api.close();
  }

  private async readMaxMemoryUsed(): Promise<number> {
    this.lastMaxMemoryUsedMB = Math.max(this.lastMaxMemoryUsedMB, await this.runtime.maxMemoryUsedMB().catch(() => 0));
    return this.lastMaxMemoryUsedMB;
  }
}
