/** What the pool needs from one execution environment, whether a child process or a container. */
export type InvocationOutcome =
  | { kind: "result"; payload: string; durationMs: number; maxMemoryUsedMB: number }
  | { kind: "error"; errorType: string; errorMessage: string; durationMs: number; maxMemoryUsedMB: number }
  /** The runtime ended during the invocation (uncaught exception, process.exit, native crash). */
  | { kind: "crash"; errorType: "Runtime.ExitError"; durationMs: number; maxMemoryUsedMB: number }
  /** The invocation ran past the timeout and the environment was stopped. */
  | { kind: "timeout"; durationMs: number; maxMemoryUsedMB: number };

export class EnvironmentInitError extends Error {
  override readonly name = "EnvironmentInitError";
  /** The error type Lambda reports for the failed init (REPORT's `Error Type`). */
  readonly errorType: string;

  constructor(message: string, options?: ErrorOptions & { errorType?: string }) {
    super(message, options);
    this.errorType = options?.errorType ?? "Runtime.ImportModuleError";
  }
}

export interface FunctionEnvironment {
  /** The init phase: runtime start → ready for the first invocation. */
  readonly initDurationMs: number;
  /** False once the environment crashed, timed out or is stopping. */
  readonly alive: boolean;
  /** True exactly once: for the first invocation after init, whose REPORT carries the init duration. */
  takeColdStart(): boolean;
  /** Runs one invocation; an environment runs one at a time. */
  invoke(requestId: string, eventPayload: string, timeoutMs: number): Promise<InvocationOutcome>;
  /** Stops the environment; an invocation in progress ends as a crash. */
  stop(): Promise<void>;
}

/** Starts one execution environment and resolves once it is ready (rejects with EnvironmentInitError). */
export type EnvironmentFactory = () => Promise<FunctionEnvironment>;
