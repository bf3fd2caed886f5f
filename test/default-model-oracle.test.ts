import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { load, type NSFWJS } from "nsfwjs";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultModelDir } from "../scripts/build-time/default-model/model-dir.js";
import { knownPixels } from "./support/test-images.js";

// The converted ONNX network against nsfwjs itself (pure-JS tfjs CPU backend, same bundled weights), on the same pixels.
const SIZE = 224;
const LABELS = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"];
const TOLERANCE = 1e-4;

function gradient(): Uint8Array {
  const pixels = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++)
    for (let x = 0; x < SIZE; x++) {
      const i = (y * SIZE + x) * 3;
      pixels[i] = Math.round((x / (SIZE - 1)) * 255);
      pixels[i + 1] = Math.round((y / (SIZE - 1)) * 255);
      pixels[i + 2] = Math.round(((x + y) / (2 * (SIZE - 1))) * 255);
    }
  return pixels;
}

function solid([r, g, b]: [number, number, number]): Uint8Array {
  const pixels = new Uint8Array(SIZE * SIZE * 3);
  for (let i = 0; i < pixels.length; i += 3) [pixels[i], pixels[i + 1], pixels[i + 2]] = [r, g, b];
  return pixels;
}

async function sharpDrawing(): Promise<Uint8Array> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}">
    <rect width="100%" height="100%" fill="#f4e1c8"/>
    <circle cx="80" cy="90" r="55" fill="#c0392b"/>
    <ellipse cx="150" cy="150" rx="60" ry="35" fill="#2e86c1" opacity="0.8"/>
    <path d="M10 210 Q 112 120 214 210" stroke="#1b1b1b" stroke-width="6" fill="none"/>
  </svg>`;
  const { data, info } = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height, info.channels]).toEqual([SIZE, SIZE, 3]);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function softmax(logits: ArrayLike<number>): number[] {
  const values = Array.from(logits);
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/** nsfwjs's own classification of a 224x224 RGB image given as an int tensor: it divides by 255 and skips resizing. */
async function nsfwjsProbabilities(model: NSFWJS, pixels: Uint8Array): Promise<number[]> {
  const image = tf.tensor3d(Int32Array.from(pixels), [SIZE, SIZE, 3], "int32");
  try {
    const predictions: { className: string; probability: number }[] = await model.classify(image, LABELS.length);
    return LABELS.map((label) => predictions.find((p) => p.className === label)!.probability);
  } finally {
    image.dispose();
  }
}

describe("default model (nsfwjs MobileNetV2 → ONNX) against nsfwjs on tfjs CPU", () => {
  let session: ort.InferenceSession;
  let nsfwjs: NSFWJS;
  const inputs: { name: string; pixels: Uint8Array }[] = [];

  beforeAll(async () => {
    await tf.setBackend("cpu");
    session = await ort.InferenceSession.create(join(defaultModelDir(), "model.onnx"));
    nsfwjs = await load("MobileNetV2");
    inputs.push(
      { name: "gradient", pixels: gradient() },
      { name: "seeded noise", pixels: knownPixels(SIZE * SIZE * 3, 20260127) },
      { name: "solid skin tone", pixels: solid([224, 172, 140]) },
      { name: "sharp-rendered drawing", pixels: await sharpDrawing() },
    );
  }, 180_000);

  afterAll(async () => {
    nsfwjs?.dispose();
    await session?.release();
  });

  it("declares NHWC input [N,224,224,3] named input and logits [N,5]", () => {
    expect(session.inputNames).toEqual(["input"]);
    expect(session.outputNames).toEqual(["logits"]);
    const [input] = session.inputMetadata;
    const [output] = session.outputMetadata;
    expect(input?.isTensor && input.shape).toEqual(["N", SIZE, SIZE, 3]);
    expect(output?.isTensor && output.shape).toEqual(["N", LABELS.length]);
  });

  it("gives nsfwjs's probabilities (softmax of logits) to within 1e-4 per class, all inputs in one batch", async () => {
    const batch = new Float32Array(inputs.length * SIZE * SIZE * 3);
    inputs.forEach(({ pixels }, n) => {
      const offset = n * pixels.length;
      for (let i = 0; i < pixels.length; i++) batch[offset + i] = pixels[i]! / 255; // as nsfwjs does: float32(x / 255)
    });
    const result = await session.run({ input: new ort.Tensor("float32", batch, [inputs.length, SIZE, SIZE, 3]) });
    const logits = result.logits!;
    expect(logits.dims).toEqual([inputs.length, LABELS.length]);
    const data = logits.data as Float32Array;

    let maxError = 0;
    for (const [n, { name, pixels }] of inputs.entries()) {
      const ours = softmax(data.subarray(n * LABELS.length, (n + 1) * LABELS.length));
      const theirs = await nsfwjsProbabilities(nsfwjs, pixels);
      for (let k = 0; k < LABELS.length; k++) {
        const error = Math.abs(ours[k]! - theirs[k]!);
        maxError = Math.max(maxError, error);
        expect(error, `${name} / ${LABELS[k]}: ours ${ours[k]} vs nsfwjs ${theirs[k]}`).toBeLessThanOrEqual(TOLERANCE);
      }
    }
    console.log(`oracle: max |softmax(onnx) - nsfwjs| over ${inputs.length} inputs x 5 classes = ${maxError.toExponential(2)}`);
    // Different images must not all collapse to one constant answer with identical scores.
    const firstTwo = [0, 1].map((n) => softmax(data.subarray(n * LABELS.length, (n + 1) * LABELS.length)));
    expect(firstTwo[0]).not.toEqual(firstTwo[1]);
  }, 180_000);
});
