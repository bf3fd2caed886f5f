import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import * as ort from "onnxruntime-node";
import pLimit, { type LimitFunction } from "p-limit";
import sharp from "sharp";
import { ClientError } from "./errors.js";
import { type DecodedImage, preprocessInto } from "./images.js";
import { loadManifest, type Manifest } from "./manifest.js";
import { RequestPixelBudget } from "./pixel-budget.js";
import { topPredictions } from "./scores.js";
import { FUNCTION_DEFAULTS } from "./settings.js";
import { imageTensorLength } from "./tensor-layout.js";

export interface Prediction {
  label: string;
  score: number;
}

export type ImageResult =
  | { ok: true; predictions: Prediction[]; image: DecodedImage }
  | { ok: false; error: ClientError };

export interface ClassifyOutcome {
  results: ImageResult[];
  timings: { decodeMs: number; inferenceMs: number };
}

export interface ClassifierOptions {
  /** ONNX Runtime intra-op threads; default: the CPUs available to this process. */
  threads?: number;
  /** Largest accepted image in pixels (width x height); default 40 megapixels. */
  maxPixels?: number;
  /** Run one inference at load so the first request is not the slow one; default true. */
  warmup?: boolean;
  /** Most images per ONNX Runtime run (bounds activation memory); default: all images of a call in one run. */
  maxBatch?: number;
  /** Pixels the images of one call may decode together (see images.ts decodeCost); default: no limit. */
  maxRequestPixels?: number;
  /** Images decoding at once, across all calls of this classifier; default 2. */
  decodeConcurrency?: number;
  /**
   * Images with more pixels than this take the fast libvips path even when the manifest names an exact resize
   * convention (see images.ts); default: none, every image follows the manifest.
   */
  exactResizeMaxPixels?: number;
}

/** Tensor buffers up to this many images are kept for reuse; larger ones are left to the garbage collector. */
const REUSED_BUFFER_IMAGES = 16;

/** The model folder does not hold a model this manifest describes. */
export class ModelLoadError extends Error {
  override readonly name = "ModelLoadError";
}

/** The model's fixed batch size, or undefined when its batch dimension is symbolic (any number of images). */
function fixedBatchOf(dims: ReadonlyArray<number | string>): number | undefined {
  const batch = dims[0];
  return typeof batch === "number" && batch > 0 ? batch : undefined;
}

function checkInputShape(manifest: Manifest, dims: ReadonlyArray<number | string>): void {
  const { layout, width, height, name } = manifest.input;
  const expected = layout === "NCHW" ? ["N", 3, height, width] : ["N", height, width, 3];
  const describe = (d: ReadonlyArray<number | string>) => `[${d.join(", ")}]`;
  const fits =
    dims.length === 4 && dims.every((dim, i) => i === 0 || typeof dim !== "number" || dim === expected[i]);
  if (!fits) {
    throw new ModelLoadError(
      `model input "${name}" has shape ${describe(dims)} but the manifest (layout ${layout}, ${width}x${height}) ` +
        `needs ${describe(expected)}`,
    );
  }
}

function tensorMetadata(list: readonly ort.InferenceSession.ValueMetadata[], name: string) {
  const found = list.find((value) => value.name === name);
  return found?.isTensor ? found : undefined;
}

export class Classifier {
  private readonly spareBuffers: Float32Array[] = [];
  private disposed = false;
  private readonly imageLength: number;

  private constructor(
    readonly manifest: Manifest,
    private readonly session: ort.InferenceSession,
    /** Set when the model only accepts exactly this many images per run. */
    private readonly fixedBatch: number | undefined,
    private readonly maxBatch: number,
    private readonly maxPixels: number,
    private readonly maxRequestPixels: number,
    decodeConcurrency: number,
    private readonly exactResizeMaxPixels: number,
  ) {
    this.imageLength = imageTensorLength(manifest.input);
    this.decodeSlots = pLimit(decodeConcurrency);
  }

  /** Every decode waits for a slot: memory and CPU go to a few images at a time, not to all of a request at once. */
  private readonly decodeSlots: LimitFunction;

  /** Loads the manifest, verifies the model file's sha256, opens one ONNX Runtime session and warms it up. */
  static async load(modelDir: string, options: ClassifierOptions = {}): Promise<Classifier> {
    const manifest = await loadManifest(modelDir);
    const modelPath = join(modelDir, manifest.file);
    let modelBytes: Buffer;
    try {
      modelBytes = await readFile(modelPath);
    } catch (error) {
      throw new ModelLoadError(`cannot read model file ${modelPath}: ${(error as NodeJS.ErrnoException).code ?? error}`, { cause: error });
    }
    const actual = createHash("sha256").update(modelBytes).digest("hex");
    if (actual !== manifest.sha256) {
      throw new ModelLoadError(
        `sha256 mismatch for ${modelPath}: model.json says ${manifest.sha256}, the file is ${actual}`,
      );
    }

    const session = await ort.InferenceSession.create(modelBytes, {
      graphOptimizationLevel: "all",
      intraOpNumThreads: options.threads ?? availableParallelism(),
      interOpNumThreads: 1,
      executionMode: "sequential",
    });
    try {
      const fixedBatch = Classifier.validate(manifest, session);
      const classifier = new Classifier(
        manifest,
        session,
        fixedBatch,
        options.maxBatch ?? Number.POSITIVE_INFINITY,
        options.maxPixels ?? FUNCTION_DEFAULTS.maxImagePixels,
        options.maxRequestPixels ?? Number.POSITIVE_INFINITY,
        options.decodeConcurrency ?? 2,
        options.exactResizeMaxPixels ?? Number.POSITIVE_INFINITY,
      );
      if (options.warmup !== false) await classifier.warmUp();
      return classifier;
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  /** Checks the manifest against the session; returns the model's fixed batch size, if it has one. */
  private static validate(manifest: Manifest, session: ort.InferenceSession): number | undefined {
    const { input, output, labels } = manifest;
    if (session.inputNames.length !== 1) {
      throw new ModelLoadError(`the model has ${session.inputNames.length} inputs (${session.inputNames.join(", ")}); one image input is supported`);
    }
    if (session.inputNames[0] !== input.name) {
      throw new ModelLoadError(`model.json input.name is "${input.name}" but the model's input is "${session.inputNames[0]}"`);
    }
    if (!session.outputNames.includes(output.name)) {
      throw new ModelLoadError(
        `model.json output.name is "${output.name}" but the model's outputs are ${session.outputNames.map((n) => `"${n}"`).join(", ")}`,
      );
    }
    const inputMeta = tensorMetadata(session.inputMetadata, input.name);
    if (!inputMeta || inputMeta.type !== "float32") {
      throw new ModelLoadError(`model input "${input.name}" must be a float32 tensor`);
    }
    checkInputShape(manifest, inputMeta.shape);
    const outputMeta = tensorMetadata(session.outputMetadata, output.name);
    const classes = outputMeta?.shape.at(-1);
    if (typeof classes === "number" && classes !== labels.length) {
      throw new ModelLoadError(`model output "${output.name}" has ${classes} classes but model.json has ${labels.length} labels`);
    }
    return fixedBatchOf(inputMeta.shape);
  }

  private async warmUp(): Promise<void> {
    const image = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 128, g: 96, b: 64 } } })
      .jpeg()
      .toBuffer();
    const [result] = (await this.classify([image], 1)).results;
    if (!result?.ok) throw new ModelLoadError(`warm-up failed: ${result?.error.message}`);
  }

  /** A tensor buffer for `images` images, reused across calls; never shared by two calls at once. */
  private takeBuffer(images: number): Float32Array {
    const needed = images * this.imageLength;
    const index = this.spareBuffers.findIndex((buffer) => buffer.length >= needed);
    if (index === -1) return new Float32Array(needed);
    return this.spareBuffers.splice(index, 1)[0]!;
  }

  private returnBuffer(buffer: Float32Array): void {
    if (this.spareBuffers.length < 2 && buffer.length <= REUSED_BUFFER_IMAGES * this.imageLength) {
      this.spareBuffers.push(buffer);
    }
  }

  /**
   * Classifies images in one batch. An image that cannot be decoded becomes an error result and does not
   * affect the others; good images go through ONNX Runtime together when the model's batch size allows.
   * `topK` is a validated count (the caller checks client input); above the label count it means every label.
   */
  async classify(images: readonly Uint8Array[], topK: number): Promise<ClassifyOutcome> {
    if (!Number.isInteger(topK) || topK < 1) throw new RangeError(`topK must be a positive integer, not ${topK}`);
    if (this.disposed) throw new Error("classifier is disposed");
    const k = Math.min(topK, this.manifest.labels.length);
    const { input } = this.manifest;
    const buffer = this.takeBuffer(images.length);
    try {
      const decodeStart = performance.now();
      // allSettled: every decode has stopped writing into the buffer before it can go back to the pool.
      const budget = new RequestPixelBudget(this.maxRequestPixels, images.length);
      const settled = await Promise.allSettled(
        images.map((bytes, i) =>
          this.decodeSlots(() =>
            preprocessInto(bytes, input, buffer, i * this.imageLength, {
              maxPixels: this.maxPixels,
              exactResizeMaxPixels: this.exactResizeMaxPixels,
              beforeDecode: (cost) => budget.take(i, cost),
            }).finally(() => budget.release(i)),
          ),
        ),
      );
      const decoded = settled.map((outcome) => {
        if (outcome.status === "fulfilled") return { ok: true as const, image: outcome.value };
        if (outcome.reason instanceof ClientError) return { ok: false as const, error: outcome.reason };
        throw outcome.reason;
      });
      // Good images move to the front so one contiguous tensor holds exactly them.
      const good: number[] = [];
      decoded.forEach((result, i) => {
        if (!result.ok) return;
        if (good.length !== i) {
          buffer.copyWithin(good.length * this.imageLength, i * this.imageLength, (i + 1) * this.imageLength);
        }
        good.push(i);
      });
      const decodeMs = performance.now() - decodeStart;

      const inferenceStart = performance.now();
      const scores = await this.infer(buffer, good.length);
      const inferenceMs = performance.now() - inferenceStart;

      const classes = this.manifest.labels.length;
      const predictionsBySlot = new Map<number, Prediction[]>();
      good.forEach((original, slot) => {
        const row = scores.subarray(slot * classes, (slot + 1) * classes);
        predictionsBySlot.set(original, topPredictions(row, this.manifest.labels, this.manifest.output.kind, k));
      });
      const results: ImageResult[] = decoded.map((result, i) =>
        result.ok ? { ok: true, predictions: predictionsBySlot.get(i)!, image: result.image } : result,
      );
      return { results, timings: { decodeMs, inferenceMs } };
    } finally {
      this.returnBuffer(buffer);
    }
  }

  /** Runs the model over the first `count` images in `buffer`; returns count x classes scores. */
  private async infer(buffer: Float32Array, count: number): Promise<Float32Array> {
    const classes = this.manifest.labels.length;
    const scores = new Float32Array(count * classes);
    const { input, output } = this.manifest;
    const dims = input.layout === "NCHW" ? [3, input.height, input.width] : [input.height, input.width, 3];
    const perRun = this.fixedBatch ?? Math.max(1, Math.min(this.maxBatch, count));
    for (let first = 0; first < count; first += perRun) {
      const images = Math.min(perRun, count - first);
      // A model with a fixed batch size always gets that many images; the scores of unused slots are ignored.
      const runImages = this.fixedBatch ?? images;
      let data = buffer.subarray(first * this.imageLength, (first + runImages) * this.imageLength);
      if (data.length < runImages * this.imageLength) {
        const padded = new Float32Array(runImages * this.imageLength);
        padded.set(data);
        data = padded;
      }
      const tensor = new ort.Tensor("float32", data, [runImages, ...dims]);
      let outputs: ort.InferenceSession.OnnxValueMapType | undefined;
      try {
        outputs = await this.session.run({ [input.name]: tensor }, [output.name]);
        const result = outputs[output.name];
        if (!result || !(result.data instanceof Float32Array) || result.data.length !== runImages * classes) {
          throw new Error(
            `model output "${output.name}" has ${result?.data.length ?? 0} values (dims ${result?.dims.join("x")}); ` +
              `expected ${runImages} x ${classes} float32 scores`,
          );
        }
        scores.set(result.data.subarray(0, images * classes), first * classes);
      } finally {
        tensor.dispose();
        for (const value of Object.values(outputs ?? {})) value.dispose();
      }
    }
    return scores;
  }

  /** Releases the ONNX Runtime session; later calls do nothing. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.session.release();
  }
}
