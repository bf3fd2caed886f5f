import { Worker } from "node:worker_threads";
import type { InputItem } from "../inputs.js";
import type { ModelId, ScoreResult } from "../record.js";
import type { WorkerReady, WorkerReply, WorkerRequest, WorkerSettings } from "./classify-worker.js";
import type { Target } from "./target.js";

interface Job {
  bytes: Uint8Array;
  resolve: (result: ScoreResult) => void;
}

interface PoolWorker {
  worker: Worker;
  jobs: Map<number, Job>;
}

/**
 * Images sent to one worker at a time: with two, the next image can decode (sharp, libuv threads) while the current
 * one runs through ONNX Runtime. On the 2-vCPU development machine this made no measurable difference either way.
 */
export const IMAGES_IN_FLIGHT_PER_WORKER = Number(process.env.BATCH_WORKER_PIPELINE) || 2;

const bootstrapUrl = new URL("./worker-bootstrap.mjs", import.meta.url);
const workerEntry = new URL("./classify-worker.ts", import.meta.url).href;

/**
 * The `local` target: N worker threads, each with its own Classifier (one ONNX session), a few images at a time per
 * worker. Image bytes are transferred to the worker, not copied.
 */
export class LocalPoolTarget implements Target {
  readonly needsBytes = true;
  readonly description: string;
  private readonly workers: PoolWorker[] = [];
  /** Every thread started, ready or not, so close() also ends those still loading. */
  private readonly started = new Set<Worker>();
  private readonly queue: Job[] = [];
  private modelId: ModelId | null = null;
  private closing = false;
  private nextId = 1;

  private constructor(
    private readonly settings: WorkerSettings,
    private readonly count: number,
    private readonly topK: number,
  ) {
    this.description = `local (${count} worker${count === 1 ? "" : "s"} × ${settings.threads} ORT thread${settings.threads === 1 ? "" : "s"}, model ${settings.modelDir})`;
  }

  static async start(settings: WorkerSettings, count: number, topK: number): Promise<LocalPoolTarget> {
    const pool = new LocalPoolTarget(settings, count, topK);
    try {
      await Promise.all(Array.from({ length: count }, () => pool.spawn()));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  model(): ModelId | null {
    return this.modelId;
  }

  score(_item: InputItem, bytes: Uint8Array | undefined): Promise<ScoreResult> {
    return new Promise((resolve) => {
      this.queue.push({ bytes: bytes!, resolve });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.started].map((worker) => worker.terminate()));
  }

  private spawn(): Promise<void> {
    const worker = new Worker(bootstrapUrl, { workerData: { entry: workerEntry, settings: this.settings } });
    const slot: PoolWorker = { worker, jobs: new Map() };
    this.started.add(worker);
    return new Promise((resolve, reject) => {
      worker.once("exit", (code) => {
        this.started.delete(worker);
        const error = new Error(`worker thread exited with code ${code}`);
        reject(error); // no effect once it is ready
        if (!this.closing && this.workers.includes(slot)) this.crashed(slot, error);
      });
      const onReady = (message: WorkerReady) => {
        if (!message.ready) {
          reject(new Error(`the local classifier could not load: ${message.message}`));
          void worker.terminate();
          return;
        }
        this.modelId = message.model;
        worker.off("message", onReady);
        worker.on("message", (reply: WorkerReply) => this.finish(slot, reply));
        this.workers.push(slot);
        resolve();
        this.pump();
      };
      worker.on("message", onReady);
      worker.once("error", (error) => {
        reject(error);
        this.crashed(slot, error);
      });
    });
  }

  private crashed(slot: PoolWorker, error: Error): void {
    const index = this.workers.indexOf(slot);
    if (index >= 0) this.workers.splice(index, 1);
    for (const job of slot.jobs.values()) job.resolve({ ok: false, error: { code: "WORKER_CRASHED", message: error.message } });
    slot.jobs.clear();
    if (!this.closing && index >= 0) void this.spawn().catch(() => this.failQueueIfNoWorkers());
  }

  private failQueueIfNoWorkers(): void {
    if (this.workers.length > 0) return;
    for (const job of this.queue.splice(0)) {
      job.resolve({ ok: false, error: { code: "WORKER_CRASHED", message: "no local classifier worker is left" } });
    }
  }

  private finish(slot: PoolWorker, reply: WorkerReply): void {
    const job = slot.jobs.get(reply.id);
    slot.jobs.delete(reply.id);
    job?.resolve(reply.ok ? { ok: true, predictions: reply.predictions } : { ok: false, error: reply.error });
    this.pump();
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot: PoolWorker | undefined;
      for (const candidate of this.workers) {
        if (candidate.jobs.size < IMAGES_IN_FLIGHT_PER_WORKER && (!slot || candidate.jobs.size < slot.jobs.size)) slot = candidate;
      }
      if (!slot) return;
      const job = this.queue.shift()!;
      const request: WorkerRequest = { id: this.nextId++, bytes: job.bytes, topK: this.topK };
      slot.jobs.set(request.id, job);
      const transferable = job.bytes.byteOffset === 0 && job.bytes.byteLength === job.bytes.buffer.byteLength;
      slot.worker.postMessage(request, transferable ? [job.bytes.buffer as ArrayBuffer] : []);
    }
  }
}
