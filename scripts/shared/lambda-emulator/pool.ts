import { type EnvironmentFactory, EnvironmentInitError, type FunctionEnvironment, type InvocationOutcome } from "./function-environment.js";

export type PoolOutcome =
  | (InvocationOutcome & { initDurationMs?: number })
  /** No environment could be initialised for this invocation (the handler module failed to load). */
  | { kind: "init-error"; errorType: string; errorMessage: string; durationMs: number; maxMemoryUsedMB: number };

export class PoolClosedError extends Error {
  override readonly name = "PoolClosedError";
}

/** Every environment is busy and the wait queue is full: Lambda would throttle the invocation. */
export class PoolThrottledError extends Error {
  override readonly name = "PoolThrottledError";
}

interface Slot {
  index: number;
  environment: FunctionEnvironment | undefined;
}

interface Waiter {
  grant: (slot: Slot) => void;
}

/**
 * N execution environments, each running one invocation at a time; up to `maxQueued` invocations wait in
 * arrival order for the next free environment, and further ones are refused (PoolThrottledError). An environment that crashed or timed out is dropped and a new one is
 * initialised for the next invocation on its slot (a cold start, as on Lambda).
 */
export class EnvironmentPool {
  private readonly free: Slot[] = [];
  private readonly waiters: Waiter[] = [];
  private busy = 0;
  private closing = false;
  private idleListeners: Array<() => void> = [];

  constructor(
    private readonly size: number,
    private readonly startEnvironment: EnvironmentFactory,
    private readonly maxQueued = Number.POSITIVE_INFINITY,
    /** False: no environment starts before its first invocation (as on-demand Lambda), so init errors reach the caller. */
    private readonly initUpFront = true,
  ) {}

  /** Initialises every environment up front; rejects if any handler module fails to load. */
  async start(): Promise<void> {
    if (!this.initUpFront) {
      for (let index = 0; index < this.size; index += 1) this.free.push({ index, environment: undefined });
      return;
    }
    const started = await Promise.allSettled(Array.from({ length: this.size }, () => this.startEnvironment()));
    const failure = started.find((result) => result.status === "rejected");
    if (failure) {
      await Promise.all(started.map((result) => (result.status === "fulfilled" ? result.value.stop() : undefined)));
      throw failure.reason;
    }
    started.forEach((result, index) => {
      if (result.status === "fulfilled") this.free.push({ index, environment: result.value });
    });
  }

  get queued(): number {
    return this.waiters.length;
  }

  async invoke(
    requestId: string,
    eventPayload: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<PoolOutcome> {
    const slot = await this.acquire(signal);
    try {
      return await this.runOn(slot, requestId, eventPayload, timeoutMs);
    } finally {
      this.release(slot);
    }
  }

  /** Stops taking invocations, lets queued and running ones finish, then stops every environment. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.busy > 0 || this.waiters.length > 0) await new Promise<void>((resolve) => this.idleListeners.push(resolve));
    await Promise.all(this.free.map((slot) => slot.environment?.stop()));
    this.free.length = 0;
  }

  private async runOn(slot: Slot, requestId: string, eventPayload: string, timeoutMs: number): Promise<PoolOutcome> {
    let environment = slot.environment;
    if (!environment?.alive) {
      slot.environment = undefined;
      const initStarted = performance.now();
      try {
        environment = await this.startEnvironment();
        slot.environment = environment;
      } catch (error) {
        const errorMessage = error instanceof Error ? error.message : String(error);
        const errorType = error instanceof EnvironmentInitError ? error.errorType : "Runtime.Unknown";
        return { kind: "init-error", errorType, errorMessage, durationMs: performance.now() - initStarted, maxMemoryUsedMB: 0 };
      }
    }
    const cold = environment.takeColdStart();
    const outcome = await environment.invoke(requestId, eventPayload, timeoutMs);
    return cold ? { ...outcome, initDurationMs: environment.initDurationMs } : outcome;
  }

  private acquire(signal?: AbortSignal): Promise<Slot> {
    if (this.closing) return Promise.reject(new PoolClosedError("the server is shutting down"));
    const slot = this.free.shift();
    if (slot) {
      this.busy += 1;
      return Promise.resolve(slot);
    }
    if (this.waiters.length >= this.maxQueued) {
      return Promise.reject(new PoolThrottledError(`all ${this.size} environment(s) are busy and ${this.maxQueued} invocation(s) wait`));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        grant: (granted) => {
          signal?.removeEventListener("abort", onAbort);
          this.busy += 1;
          resolve(granted);
        },
      };
      const onAbort = () => {
        const position = this.waiters.indexOf(waiter);
        if (position !== -1) this.waiters.splice(position, 1);
        reject(signal?.reason ?? new Error("aborted"));
        this.notifyIfIdle();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private release(slot: Slot): void {
    this.busy -= 1;
    const next = this.waiters.shift();
    if (next) next.grant(slot);
    else this.free.push(slot);
    this.notifyIfIdle();
  }

  private notifyIfIdle(): void {
    if (this.busy > 0 || this.waiters.length > 0) return;
    const listeners = this.idleListeners;
    this.idleListeners = [];
    for (const listener of listeners) listener();
  }
}
