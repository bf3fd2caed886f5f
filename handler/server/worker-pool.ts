import { Worker } from "node:worker_threads";
import type { ReceivedRequest } from "../http/event.js";
import type { Manifest } from "../manifest.js";
import type { HttpResponse } from "../response.js";
import type { FromWorker, RequestMessage, WorkerSetup } from "./protocol.js";

export type JobOutcome = { kind: "response"; response: HttpResponse } | { kind: "crash"; error: Error };

/** One accepted request, waiting for a worker or running on one. */
export interface Job {
  requestId: string;
  receivedAt: Date;
  request: Omit<ReceivedRequest, "body">;
  /** Moved to the worker (transferred): unusable here afterwards. */
  body: ArrayBuffer;
  settle(outcome: JobOutcome): void;
}

export type PoolEvent =
  | { kind: "worker-crashed"; worker: number; exitCode: number; error?: Error; requestId?: string }
  | { kind: "worker-replaced"; worker: number };

interface Slot {
  index: number;
  worker: Worker;
  ready: boolean;
  job?: Job;
  lastError?: Error;
}

/** A worker that stopped before it was ready: the server cannot start (or a replacement failed and is retried). */
export class WorkerStartError extends Error {
  override readonly name = "WorkerStartError";
}

/** Between attempts to replace a crashed worker whose replacement failed to initialise. */
const RESTART_DELAY_MS = 1_000;
/** How long a stopping worker may take to flush its output and end before it is terminated. */
const STOP_GRACE_MS = 5_000;

/**
 * Worker threads, each running one request at a time, in front of one FIFO queue. The queue is unbounded here: the
 * HTTP side admits requests (server-config.ts SERVER_QUEUE_DEPTH). A worker that dies fails its request with a crash
 * outcome and is replaced.
 */
export class WorkerPool {
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextMessageId = 0;
  #stopping = false;
  #started: Promise<Manifest>;
  #resolveStarted!: (manifest: Manifest) => void;
  #rejectStarted!: (error: Error) => void;
  #startedCount = 0;

  constructor(
    readonly size: number,
    private readonly workerUrl: URL,
    private readonly setup: WorkerSetup,
    private readonly onEvent: (event: PoolEvent) => void = () => {},
  ) {
    this.#started = new Promise((resolve, reject) => {
      this.#resolveStarted = resolve;
      this.#rejectStarted = reject;
    });
  }

  /** Starts every worker; resolves with the model's manifest once all have loaded and warmed their session. */
  start(): Promise<Manifest> {
    for (let index = 0; index < this.size; index++) this.#spawn(index);
    return this.#started;
  }

  /** Requests waiting for a worker, oldest first. */
  get queued(): readonly Job[] {
    return this.#queue;
  }

  /** Requests running on a worker. */
  get running(): Job[] {
    return this.#slots.flatMap((slot) => (slot.job ? [slot.job] : []));
  }

  submit(job: Job): void {
    this.#queue.push(job);
    this.#dispatch();
  }

  /** Drops a queued job (its client went away) so it never runs; false when it already runs. */
  withdraw(job: Job): boolean {
    const at = this.#queue.indexOf(job);
    if (at === -1) return false;
    this.#queue.splice(at, 1);
    return true;
  }

  /** Ends every worker once idle (call after the queue has drained). */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.#slots.map(async ({ worker }) => {
        const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
        worker.postMessage({ type: "stop" });
        const timer = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  }

  #spawn(index: number): void {
    const worker = new Worker(this.workerUrl, { workerData: this.setup });
    const slot: Slot = { index, worker, ready: false };
    this.#slots[index] = slot;
    worker.on("message", (message: FromWorker) => {
      if (message.type === "ready") {
        slot.ready = true;
        if (++this.#startedCount === this.size) this.#resolveStarted(message.manifest);
        else if (this.#startedCount > this.size) this.onEvent({ kind: "worker-replaced", worker: index });
      } else {
        const job = slot.job;
        slot.job = undefined;
        job?.settle({ kind: "response", response: message.response });
      }
      this.#dispatch();
    });
    worker.on("error", (error) => (slot.lastError = error));
    worker.on("exit", (exitCode) => this.#exited(slot, exitCode));
  }

  #exited(slot: Slot, exitCode: number): void {
    if (this.#stopping) return;
    const { job, lastError } = slot;
    slot.job = undefined;
    const cause = lastError ?? new Error(`worker thread ${slot.index} exited with code ${exitCode}`);
    if (!slot.ready && this.#startedCount < this.size) {
      this.#stopping = true;
      this.#rejectStarted(new WorkerStartError(`worker thread ${slot.index} stopped before it was ready`, { cause }));
      for (const other of this.#slots) if (other && other !== slot) void other.worker.terminate();
      return;
    }
    this.onEvent({ kind: "worker-crashed", worker: slot.index, exitCode, ...(lastError && { error: lastError }), ...(job && { requestId: job.requestId }) });
    job?.settle({ kind: "crash", error: new Error(`worker thread ${slot.index} crashed`, { cause }) });
    // A replacement that failed to initialise would otherwise be retried in a tight loop.
    if (slot.ready) this.#spawn(slot.index);
    else setTimeout(() => this.#stopping || this.#spawn(slot.index), RESTART_DELAY_MS).unref();
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (!slot?.ready || slot.job) continue;
      const job = this.#queue.shift()!;
      slot.job = job;
      const message: RequestMessage = {
        type: "request",
        id: this.#nextMessageId++,
        request: job.request,
        identity: { requestId: job.requestId, urlId: "server", receivedAtMs: job.receivedAt.getTime() },
        body: job.body,
      };
      slot.worker.postMessage(message, [job.body]);
    }
  }
}
