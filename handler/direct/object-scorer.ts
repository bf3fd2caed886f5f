import pLimit from "p-limit";
import type { Classifier, Prediction } from "../classifier.js";
import type { S3ObjectRef } from "../contract/classify-request.js";
import { ImageCostEstimate } from "../deadline.js";
import { ClientError, isClientError } from "../errors.js";
import { MAX_CONCURRENT_S3_READS } from "../memory-budget.js";

/** An S3 object to score; `versionId` reads that version instead of the current one. */
export interface ObjectRef extends S3ObjectRef {
  versionId?: string;
}

/** Reads one object through the function's S3 source (allowlist, size limit, error codes: s3-source.ts). */
export type ReadObject = (ref: S3ObjectRef, versionId?: string) => Promise<Uint8Array>;

/** One object's predictions, or its own error; one object never fails another. */
export type ItemOutcome = { ok: true; predictions: Prediction[] } | { ok: false; error: ClientError };

/**
 * Kept back from the remaining time besides one chunk's measured cost: answering, Lambda's hand-off, and a chunk
 * slower than the last one.
 */
export const DEADLINE_SAFETY_MARGIN_MS = 1500;

export const TIMEOUT_MESSAGE = "not scored before the function's deadline";

export interface ObjectScorerOptions {
  classifier: Classifier;
  readObject: ReadObject;
  /** Images per classify call (MAX_BATCH_IMAGES): one ONNX run's batch and the objects held while it runs. */
  chunkSize: number;
}

export interface ScoreOptions {
  topK: number;
  /** Lambda's context.getRemainingTimeInMillis; without it there is no deadline. */
  remainingMs?: () => number;
}

type Read = { ok: true; bytes: Uint8Array } | { ok: false; error: ClientError } | { ok: false; fault: unknown };

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

const timeoutError = () => new ClientError("TIMEOUT", TIMEOUT_MESSAGE);

/**
 * Scores S3 objects in chunks of `chunkSize` images per classify call (batched ONNX runs; decodes go through the
 * classifier's decode slots). Reads run MAX_CONCURRENT_S3_READS at a time and ahead of the chunk being scored, but an
 * object is held only until its chunk is scored, so at most `chunkSize + MAX_CONCURRENT_S3_READS` objects are in
 * memory. Before each chunk the remaining time is checked: when it cannot cover the chunk and the margin, the
 * objects not yet scored come back as TIMEOUT instead of the whole invocation failing.
 */
export class ObjectScorer {
  /** What one object costs here (read wait, decode, inference), learnt across invocations of this environment. */
  private readonly cost = new ImageCostEstimate();

  constructor(private readonly options: ObjectScorerOptions) {}

  async score(refs: readonly ObjectRef[], { topK, remainingMs }: ScoreOptions): Promise<ItemOutcome[]> {
    const chunkSize = Math.max(1, Math.floor(this.options.chunkSize));
    const outcomes: Array<ItemOutcome | undefined> = new Array(refs.length);
    const chunkCount = Math.ceil(refs.length / chunkSize);
    const chunkDone = Array.from({ length: chunkCount }, () => deferred<void>());
    let stopped = false;
    const readSlots = pLimit(MAX_CONCURRENT_S3_READS);
    const holdSlots = pLimit(chunkSize + MAX_CONCURRENT_S3_READS);
    const reads: Array<Promise<Read> | undefined> = refs.map((ref, index) => {
      const read = deferred<Read>();
      void holdSlots(async () => {
        if (stopped) return read.resolve({ ok: false, error: timeoutError() });
        read.resolve(await readSlots(() => this.readOne(ref)));
        await chunkDone[Math.floor(index / chunkSize)]!.promise;
      });
      return read.promise;
    });

    try {
      for (let chunk = 0; chunk < chunkCount; chunk++) {
        const first = chunk * chunkSize;
        const end = Math.min(first + chunkSize, refs.length);
        if (!this.hasTimeFor(end - first, remainingMs)) break;
        const startedAt = performance.now();
        const chunkReads = await this.beforeDeadline(Promise.all(reads.slice(first, end).map((read) => read!)), end - first, remainingMs);
        if (!chunkReads) break;
        reads.fill(undefined, first, end);
        const readable: Array<{ index: number; bytes: Uint8Array }> = [];
        chunkReads.forEach((read, offset) => {
          if (read.ok) readable.push({ index: first + offset, bytes: read.bytes });
          else if ("error" in read) outcomes[first + offset] = { ok: false, error: read.error };
          else throw read.fault;
        });
        const finished = await this.classifyReadable(readable, topK, outcomes, remainingMs);
        this.cost.record(end - first, performance.now() - startedAt);
        chunkDone[chunk]!.resolve();
        if (!finished) break;
      }
    } finally {
      stopped = true;
      for (const done of chunkDone) done.resolve();
    }
    return Array.from(outcomes, (outcome) => outcome ?? { ok: false, error: timeoutError() });
  }

  private async readOne(ref: ObjectRef): Promise<Read> {
    try {
      return { ok: true, bytes: await this.options.readObject({ bucket: ref.bucket, key: ref.key }, ref.versionId) };
    } catch (error) {
      return isClientError(error) ? { ok: false, error } : { ok: false, fault: error };
    }
  }

  /**
   * Classifies the chunk's objects. The per-call pixel budget (MAX_REQUEST_PIXELS) may refuse an image only because
   * others of the chunk took the pixels: such an image is scored again in a later call, where it comes first, so a
   * batch item fails TOO_MANY_PIXELS only when it would alone. Returns false when the deadline stopped the work.
   */
  private async classifyReadable(
    readable: ReadonlyArray<{ index: number; bytes: Uint8Array }>,
    topK: number,
    outcomes: Array<ItemOutcome | undefined>,
    remainingMs: (() => number) | undefined,
  ): Promise<boolean> {
    let pending = readable;
    while (pending.length > 0) {
      const { results } = await this.options.classifier.classify(
        pending.map((item) => item.bytes),
        topK,
      );
      const again: Array<{ index: number; bytes: Uint8Array }> = [];
      results.forEach((result, position) => {
        const item = pending[position]!;
        if (!result.ok && result.error.code === "TOO_MANY_PIXELS" && position > 0) again.push(item);
        else outcomes[item.index] = result.ok ? { ok: true, predictions: result.predictions } : { ok: false, error: result.error };
      });
      pending = again;
      if (pending.length > 0 && !this.hasTimeFor(pending.length, remainingMs)) return false;
    }
    return true;
  }

  private neededMs(objects: number): number {
    return DEADLINE_SAFETY_MARGIN_MS + this.cost.perImageMs * objects;
  }

  private hasTimeFor(objects: number, remainingMs: (() => number) | undefined): boolean {
    return !remainingMs || remainingMs() >= this.neededMs(objects);
  }

  /** `work`'s value, or undefined when it is not done while the chunk could still be scored in time. */
  private async beforeDeadline<T>(work: Promise<T>, objects: number, remainingMs: (() => number) | undefined): Promise<T | undefined> {
    if (!remainingMs) return work;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, remainingMs() - this.neededMs(objects)), undefined);
    });
    try {
      return await Promise.race([work, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
