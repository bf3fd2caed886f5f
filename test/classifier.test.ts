import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Classifier, ModelLoadError } from "../handler/classifier.js";
import { ClientError } from "../handler/errors.js";
import { softmax } from "../handler/scores.js";
import {
  channelMeanLogitsModel,
  channelMeanSoftmaxModel,
  referenceSoftmax,
  writeModelDir,
} from "./support/channel-mean-models.js";
import { knownPixels } from "./support/test-images.js";

const IMAGENET = { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

// Model A: NCHW 8x6, ImageNet normalisation, RGB, logits from a linear head over the channel means.
const A = { width: 8, height: 6 };
const headA = {
  weights: [1.5, -2, 0.25, 3, -1, 0.5, 2, -0.75, 0.3, 1, -1.25, 0.6],
  bias: [0.1, -0.2, 0.3, 0],
};
const labelsA = ["ant", "bee", "cat", "dog"];
const manifestA = {
  name: "channel-mean-nchw",
  version: "1",
  source: { generator: "test/support/channel-mean-models.ts" },
  input: {
    name: "pixel_values",
    layout: "NCHW",
    ...A,
    colorOrder: "RGB",
    resize: { mode: "fill", kernel: "nearest" },
    ...IMAGENET,
  },
  output: { name: "logits", kind: "logits" },
  labels: labelsA,
};

// Model B: NHWC 5x5, scale 1/255, BGR, probabilities (softmax inside the graph), labels from a file, batch fixed at 1.
const B = { width: 5, height: 5 };
const manifestB = {
  name: "channel-mean-nhwc",
  version: "1",
  source: { generator: "test/support/channel-mean-models.ts" },
  input: {
    name: "image",
    layout: "NHWC",
    ...B,
    colorOrder: "BGR",
    resize: { mode: "fill", kernel: "nearest" },
    scale: 1 / 255,
  },
  output: { name: "probs", kind: "probabilities" },
  labels: "labels.txt",
};
const labelsB = ["blue-ish", "green-ish", "red-ish"];

const rawPng = (pixels: Uint8Array, width: number, height: number) =>
  sharp(pixels, { raw: { width, height, channels: 3 } }).png().toBuffer();

/** Channel means (RGB) of a packed RGB image, in float64. */
function rgbMeans(pixels: Uint8Array): number[] {
  const sums = [0, 0, 0];
  for (let i = 0; i < pixels.length; i++) sums[i % 3]! += pixels[i]!;
  return sums.map((s) => s / (pixels.length / 3));
}

/** Model A by hand: normalise each channel mean (the normalisation is affine, so mean commutes), linear head, softmax. */
function expectedA(pixels: Uint8Array): number[] {
  const normalised = rgbMeans(pixels).map((m, c) => (m * IMAGENET.scale - IMAGENET.mean[c]!) / IMAGENET.std[c]!);
  const logits = headA.bias.map((b, k) => b + normalised.reduce((sum, v, c) => sum + v * headA.weights[c * 4 + k]!, 0));
  return referenceSoftmax(logits);
}

/** Model B by hand: channel means in BGR order, scaled by 1/255, softmax (inside the model). */
function expectedB(pixels: Uint8Array): number[] {
  const [r, g, b] = rgbMeans(pixels);
  return referenceSoftmax([b! / 255, g! / 255, r! / 255]);
}

function scoresByLabel(predictions: { label: string; score: number }[]): Record<string, number> {
  return Object.fromEntries(predictions.map((p) => [p.label, p.score]));
}

describe("Classifier through a manifest alone", () => {
  let dirA: string;
  let dirB: string;
  let classifierA: Classifier;
  let classifierB: Classifier;

  beforeAll(async () => {
    dirA = await writeModelDir(channelMeanLogitsModel({ ...A, head: headA }), manifestA);
    dirB = await writeModelDir(channelMeanSoftmaxModel({ ...B, batch: 1 }), manifestB, {
      "labels.txt": `${labelsB.join("\n")}\n`,
    });
    classifierA = await Classifier.load(dirA, { threads: 1 });
    classifierB = await Classifier.load(dirB, { threads: 1 });
  });

  afterAll(async () => {
    await classifierA?.dispose();
    await classifierB?.dispose();
  });

  it("model A (NCHW, ImageNet mean/std, logits) matches the hand-computed softmax", async () => {
    const pixels = knownPixels(A.width * A.height * 3, 11);
    const { results } = await classifierA.classify([await rawPng(pixels, A.width, A.height)], 4);
    const [result] = results;
    expect(result?.ok).toBe(true);
    if (!result?.ok) return;
    const expected = expectedA(pixels);
    const got = scoresByLabel(result.predictions);
    labelsA.forEach((label, k) => expect(got[label]).toBeCloseTo(expected[k]!, 5));
    expect(result.image).toEqual({ width: 8, height: 6, format: "png" });
  });

  it("model B (NHWC, 1/255, BGR, probabilities, labels file, fixed batch 1) matches by hand without a second softmax", async () => {
    expect(classifierB.manifest.labels).toEqual(labelsB);
    const pixels = knownPixels(B.width * B.height * 3, 5);
    const { results } = await classifierB.classify([await rawPng(pixels, B.width, B.height)], 3);
    const [result] = results;
    if (!result?.ok) throw new Error("expected success");
    const expected = expectedB(pixels);
    const got = scoresByLabel(result.predictions);
    labelsB.forEach((label, k) => expect(got[label]).toBeCloseTo(expected[k]!, 5));
  });

  it("sorts top-k by score and clamps k to the number of labels", async () => {
    const pixels = knownPixels(A.width * A.height * 3, 12);
    const image = await rawPng(pixels, A.width, A.height);
    const expected = expectedA(pixels);
    const order = labelsA.map((label, k) => ({ label, score: expected[k]! })).sort((x, y) => y.score - x.score);

    const two = (await classifierA.classify([image], 2)).results[0];
    if (!two?.ok) throw new Error("expected success");
    expect(two.predictions.map((p) => p.label)).toEqual(order.slice(0, 2).map((p) => p.label));

    const all = (await classifierA.classify([image], 50)).results[0];
    if (!all?.ok) throw new Error("expected success");
    expect(all.predictions.map((p) => p.label)).toEqual(order.map((p) => p.label));
    expect(all.predictions.reduce((sum, p) => sum + p.score, 0)).toBeCloseTo(1, 10);
  });

  it("refuses a k that is not a positive integer with its own error, not an HTTP one (top_k is checked at the edge)", async () => {
    const image = await rawPng(knownPixels(A.width * A.height * 3, 12), A.width, A.height);
    for (const k of [0, -1, 1.5]) {
      const refusal = classifierA.classify([image], k);
      await expect(refusal).rejects.toThrow(RangeError);
      await expect(refusal).rejects.not.toBeInstanceOf(ClientError);
    }
  });

  it("keeps the decoder's own error as the cause of an image's error", async () => {
    const good = await rawPng(knownPixels(A.width * A.height * 3, 13), A.width, A.height);
    const [result] = (await classifierA.classify([good.subarray(0, 40)], 1)).results;
    if (result?.ok !== false) throw new Error("expected a failure");
    expect(result.error.code).toBe("INVALID_IMAGE");
    expect(result.error.cause).toBeInstanceOf(Error);
    expect((result.error.cause as Error).message).not.toBe(result.error.message);
  });

  it.each([
    ["A (dynamic batch: one run)", () => classifierA, A, expectedA, labelsA],
    ["B (fixed batch 1: one run per image)", () => classifierB, B, expectedB, labelsB],
  ] as const)("model %s: a batch with a bad image fails only that image", async (_name, get, size, expected, labels) => {
    const pixels = [1, 2, 3].map((seed) => knownPixels(size.width * size.height * 3, 100 + seed));
    const good = await Promise.all(pixels.map((p) => rawPng(p, size.width, size.height)));
    const truncated = good[0]!.subarray(0, 40);
    const outcome = await get().classify([good[0]!, Buffer.from("<svg/>"), good[1]!, truncated, good[2]!], labels.length);

    expect(outcome.results.map((r) => (r.ok ? "ok" : r.error.code))).toEqual([
      "ok",
      "UNSUPPORTED_MEDIA_TYPE",
      "ok",
      "INVALID_IMAGE",
      "ok",
    ]);
    const bad = outcome.results[1];
    if (bad && !bad.ok) expect(bad.error).toBeInstanceOf(ClientError);
    [0, 2, 4].forEach((index, n) => {
      const result = outcome.results[index];
      if (!result?.ok) throw new Error("expected success");
      const want = expected(pixels[n]!);
      const got = scoresByLabel(result.predictions);
      labels.forEach((label, k) => expect(got[label]).toBeCloseTo(want[k]!, 5));
    });
    expect(outcome.timings.decodeMs).toBeGreaterThanOrEqual(0);
    expect(outcome.timings.inferenceMs).toBeGreaterThanOrEqual(0);
  });

  it("returns only errors, without running the model, when every image is bad", async () => {
    const outcome = await classifierA.classify([new Uint8Array(0)], 1);
    expect(outcome.results).toEqual([{ ok: false, error: expect.objectContaining({ code: "EMPTY_IMAGE" }) }]);
  });

  it("gives the same answers when calls overlap (buffers are not shared)", async () => {
    const images = await Promise.all(
      [21, 22, 23, 24].map((seed) => rawPng(knownPixels(A.width * A.height * 3, seed), A.width, A.height)),
    );
    const alone = await Promise.all(images.map(async (image) => (await classifierA.classify([image], 4)).results[0]));
    const together = await Promise.all([
      classifierA.classify(images.slice(0, 2), 4),
      classifierA.classify(images.slice(2), 4),
    ]);
    expect(together.flatMap((o) => o.results)).toEqual(alone);
  });
});

describe("Classifier splits batches the model or the options cannot take at once", () => {
  it.each([
    ["a fixed batch of 2 (last run padded)", channelMeanSoftmaxModel({ ...B, batch: 2 }), {}],
    ["maxBatch 2 on a dynamic batch", channelMeanSoftmaxModel(B), { maxBatch: 2 }],
  ] as const)("%s gives every image its own scores", async (_name, model, options) => {
    const dir = await writeModelDir(model, manifestB, { "labels.txt": labelsB.join("\n") });
    const classifier = await Classifier.load(dir, { threads: 1, ...options });
    try {
      const pixels = [1, 2, 3, 4, 5].map((seed) => knownPixels(B.width * B.height * 3, 200 + seed));
      const images = await Promise.all(pixels.map((p) => rawPng(p, B.width, B.height)));
      const { results } = await classifier.classify(images, 3);
      results.forEach((result, n) => {
        if (!result.ok) throw new Error("expected success");
        const want = expectedB(pixels[n]!);
        const got = scoresByLabel(result.predictions);
        labelsB.forEach((label, k) => expect(got[label]).toBeCloseTo(want[k]!, 5));
      });
    } finally {
      await classifier.dispose();
    }
  });
});

describe("Classifier.load refuses a manifest that does not fit the model", () => {
  const model = channelMeanLogitsModel({ ...A, head: headA });

  it("refuses a model file whose sha256 differs from the manifest", async () => {
    const dir = await writeModelDir(model, { ...manifestA, sha256: "0".repeat(64) });
    await expect(Classifier.load(dir, { warmup: false })).rejects.toThrow(/sha256 mismatch .*model\.json says 0{64}, the file is [0-9a-f]{64}/);
  });

  it("keeps the file system's error as the cause when the model file cannot be read", async () => {
    const dir = await writeModelDir(model, manifestA);
    await rm(join(dir, "model.onnx"));
    const error = await Classifier.load(dir, { warmup: false }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as ModelLoadError).message).toMatch(/cannot read model file .*ENOENT/);
    expect((error as ModelLoadError).cause).toMatchObject({ code: "ENOENT" });
  });

  it("refuses a model file changed after the manifest was written", async () => {
    const dir = await writeModelDir(model, manifestA);
    const bytes = await readFile(join(dir, "model.onnx"));
    bytes[bytes.length - 1]! ^= 1;
    await writeFile(join(dir, "model.onnx"), bytes);
    await expect(Classifier.load(dir, { warmup: false })).rejects.toBeInstanceOf(ModelLoadError);
  });

  it.each([
    ["input name", { input: { ...manifestA.input, name: "data" } }, /input\.name is "data" but the model's input is "pixel_values"/],
    ["output name", { output: { name: "scores", kind: "logits" } }, /output\.name is "scores" but the model's outputs are "logits"/],
    ["layout", { input: { ...manifestA.input, layout: "NHWC" } }, /has shape \[N, 3, 6, 8\] .* needs \[N, 6, 8, 3\]/],
    ["width", { input: { ...manifestA.input, width: 9 } }, /has shape \[N, 3, 6, 8\] .*needs \[N, 3, 6, 9\]/],
    ["labels", { labels: ["one", "two"] }, /4 classes but model\.json has 2 labels/],
  ])("names a wrong %s", async (_what, change, message) => {
    const dir = await writeModelDir(model, { ...manifestA, ...change });
    await expect(Classifier.load(dir, { warmup: false })).rejects.toThrow(message);
  });

  it("refuses a bad manifest before touching the model", async () => {
    const dir = await writeModelDir(model, { ...manifestA, input: { ...manifestA.input, layout: "CHW" } });
    await expect(Classifier.load(dir)).rejects.toThrow('model.json: input.layout: expected "NCHW" | "NHWC"');
  });
});

describe("softmax", () => {
  it("is stable for large logits and sums to one", () => {
    const probabilities = softmax([1000, 1001, 999]);
    expect(Array.from(probabilities)).toEqual(referenceSoftmax([1000, 1001, 999]));
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(probabilities.every(Number.isFinite)).toBe(true);
  });
});

describe("Classifier on the default model", () => {
  it("loads model/ and returns five probabilities that sum to one", async () => {
    const classifier = await Classifier.load("model", { threads: 1 });
    try {
      const jpeg = await sharp(knownPixels(64 * 48 * 3, 4), { raw: { width: 64, height: 48, channels: 3 } }).jpeg().toBuffer();
      const [result] = (await classifier.classify([jpeg], 5)).results;
      if (!result?.ok) throw new Error("expected success");
      expect(result.predictions.map((p) => p.label).sort()).toEqual(["Drawing", "Hentai", "Neutral", "Porn", "Sexy"]);
      expect(result.predictions.reduce((sum, p) => sum + p.score, 0)).toBeCloseTo(1, 6);
    } finally {
      await classifier.dispose();
    }
  });
});
