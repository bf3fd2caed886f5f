import { type ChildProcess, fork } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { EnvironmentMessage, InvokeMessage } from "./protocol.js";
import { tsxLoader } from "../tsx-loader.js";
import { EnvironmentInitError, type FunctionEnvironment, type InvocationOutcome } from "./function-environment.js";

export interface EnvironmentOptions {
  /** Path of the module that exports the handler (TypeScript or JavaScript). */
  handlerModule: string;
  handlerExport: string;
  /** The complete environment of the execution environment's process. */
  env: NodeJS.ProcessEnv;
  /** Where the function's own stdout/stderr go. */
  output: "inherit" | "ignore";
}

export { EnvironmentInitError, type InvocationOutcome } from "./function-environment.js";

const runtimeEntry = fileURLToPath(new URL("./runtime.ts", import.meta.url));

interface Pending {
  requestId: string;
  started: number;
  timer: NodeJS.Timeout;
  settle: (outcome: InvocationOutcome) => void;
}

/** One isolated execution environment: a child process with its own copy of the handler module. */
export class ExecutionEnvironment implements FunctionEnvironment {
  private pending: Pending | undefined;
  private exited = false;
  /** Set when the environment is being stopped and must take no further invocation. */
  private retired = false;
  private lastMaxMemoryUsedMB = 0;
  private coldStartPending = true;

  private constructor(
    private readonly child: ChildProcess,
    readonly initDurationMs: number,
  ) {
    child.on("message", (message: EnvironmentMessage) => this.onMessage(message));
    child.on("exit", () => this.onExit());
  }

  /** Starts the process and resolves once the handler module has been imported (the init phase). */
  static start(options: EnvironmentOptions): Promise<ExecutionEnvironment> {
    const child = fork(runtimeEntry, [options.handlerModule, options.handlerExport], {
      execArgv: ["--import", tsxLoader],
      env: options.env,
      stdio: ["ignore", options.output, options.output, "ipc"],
      // Structured clone moves the large JSON strings without escaping them again.
      serialization: "advanced",
    });
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => {
        child.removeAllListeners();
        child.kill("SIGKILL");
        reject(error);
      };
      child.once("message", (message: EnvironmentMessage) => {
        child.removeAllListeners();
        if (message.type === "ready") resolve(new ExecutionEnvironment(child, message.initDurationMs));
        else if (message.type === "init-error")
          fail(new EnvironmentInitError(`Runtime.ImportModuleError: ${message.errorType}: ${message.errorMessage}`));
        else fail(new EnvironmentInitError(`unexpected first message ${message.type}`));
      });
      child.once("exit", (code, signal) =>
        fail(new EnvironmentInitError(`execution environment exited during init (code ${code}, signal ${signal})`)),
      );
      child.once("error", fail);
    });
  }

  get alive(): boolean {
    return !this.exited && !this.retired;
  }

  /** True exactly once: for the first invocation after init, whose REPORT carries the init duration. */
  takeColdStart(): boolean {
    const cold = this.coldStartPending;
    this.coldStartPending = false;
    return cold;
  }

  invoke(requestId: string, eventPayload: string, timeoutMs: number): Promise<InvocationOutcome> {
    if (this.pending) throw new Error("an execution environment runs one invocation at a time");
    if (!this.alive) throw new Error("the execution environment has stopped");
    return new Promise((settle) => {
      const started = performance.now();
      const timer = setTimeout(() => {
        this.retired = true;
        this.finish({ kind: "timeout", durationMs: performance.now() - started, maxMemoryUsedMB: this.lastMaxMemoryUsedMB });
        this.child.kill("SIGKILL");
      }, timeoutMs);
      this.pending = { requestId, started, timer, settle };
      const message: InvokeMessage = { type: "invoke", requestId, eventPayload, deadlineMs: Date.now() + timeoutMs };
      this.child.send(message);
    });
  }

  /** Stops the process; an invocation in progress ends as a crash. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.retired = true;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    if (this.child.connected) this.child.disconnect();
    const kill = setTimeout(() => this.child.kill("SIGKILL"), 2_000);
    await exited;
    clearTimeout(kill);
  }

  private finish(outcome: InvocationOutcome): void {
    const pending = this.pending;
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending = undefined;
    pending.settle(outcome);
  }

  private onMessage(message: EnvironmentMessage): void {
    if (message.type !== "result" && message.type !== "error") return;
    if (message.requestId !== this.pending?.requestId) return;
    this.lastMaxMemoryUsedMB = message.maxMemoryUsedMB;
    if (message.type === "result") {
      const { payload, durationMs, maxMemoryUsedMB } = message;
      this.finish({ kind: "result", payload, durationMs, maxMemoryUsedMB });
    } else {
      const { errorType, errorMessage, durationMs, maxMemoryUsedMB } = message;
      this.finish({ kind: "error", errorType, errorMessage, durationMs, maxMemoryUsedMB });
    }
  }

  private onExit(): void {
    this.exited = true;
    const pending = this.pending;
    if (pending) {
      this.finish({
        kind: "crash",
        errorType: "Runtime.ExitError",
        durationMs: performance.now() - pending.started,
        maxMemoryUsedMB: this.lastMaxMemoryUsedMB,
      });
    }
  }
}
