import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { type ModelInput, parseManifestFile } from "../handler/manifest.js";
import { resizePlan, type ResizeTarget } from "../handler/resize/geometry.js";
import { type TensorflowGrid, tensorflowBilinear, tensorflowNearest } from "../handler/resize/tensorflow.js";
import type { ResizePlan, RgbImage } from "../handler/resize/types.js";
import { writeResizedTensor } from "../handler/tensor-layout.js";
import { knownPixels } from "./support/test-images.js";

const GRIDS: readonly (TensorflowGrid & { name: string })[] = [
  { name: "default grid", alignCorners: false, halfPixelCenters: false },
  { name: "alignCorners", alignCorners: true, halfPixelCenters: false },
  { name: "halfPixelCenters", alignCorners: false, halfPixelCenters: true },
];

/** [source width, source height, output width, output height]: downscale, upscale, odd sizes, 1-pixel sides, same size. */
const SIZES: readonly [string, number, number, number, number][] = [
  ["downscale 64x48 → 24x20", 64, 48, 24, 20],
  ["upscale 5x7 → 13x11", 5, 7, 13, 11],
  ["odd sizes 37x23 → 17x29", 37, 23, 17, 29],
  ["1-pixel wide source 1x9 → 6x4", 1, 9, 6, 4],
  ["1-pixel output 9x6 → 1x1", 9, 6, 1, 1],
  ["1-pixel tall output 12x10 → 7x1", 12, 10, 7, 1],
  ["same size 11x8 → 11x8", 11, 8, 11, 8],
];

function sourceImage(width: number, height: number, seed: number): RgbImage {
  return { pixels: knownPixels(width * height * 3, seed), width, height };
}

/** tfjs (CPU backend) on the uint8 values given as a float32 tensor, the way nsfwjs hands them to it. */
function tfjsResize(kind: "bilinear" | "nearest", image: RgbImage, width: number, height: number, grid: TensorflowGrid): Float32Array {
  return tf.tidy(() => {
    const input = tf.tensor3d(Float32Array.from(image.pixels), [image.height, image.width, 3], "float32");
    const resize = kind === "bilinear" ? tf.image.resizeBilinear : tf.image.resizeNearestNeighbor;
    return resize(input, [height, width], grid.alignCorners, grid.halfPixelCenters).dataSync() as Float32Array;
  });
}

const fillPlan = (width: number, height: number): ResizePlan => ({
  resizedWidth: width,
  resizedHeight: height,
  window: { left: 0, top: 0, width, height },
  placeLeft: 0,
  placeTop: 0,
});

function ours(kind: "bilinear" | "nearest", image: RgbImage, plan: ResizePlan, grid: TensorflowGrid): Float32Array {
  const out = new Float32Array(plan.window.width * plan.window.height * 3);
  (kind === "bilinear" ? tensorflowBilinear : tensorflowNearest)(grid)(image, plan, out);
  return out;
}

/** The rows and columns of `window` cut from a packed RGB float raster `width` wide. */
function cut(values: Float32Array, width: number, window: ResizePlan["window"]): Float32Array {
  const out = new Float32Array(window.width * window.height * 3);
  for (let y = 0; y < window.height; y++) {
    const from = ((window.top + y) * width + window.left) * 3;
    out.set(values.subarray(from, from + window.width * 3), y * window.width * 3);
  }
  return out;
}

describe("TensorFlow resize kernels against tfjs (CPU backend), float32-exact", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  for (const kind of ["bilinear", "nearest"] as const) {
    for (const grid of GRIDS) {
      it.each(SIZES)(`${kind}, ${grid.name}: %s`, (_name, sw, sh, ow, oh) => {
        const image = sourceImage(sw, sh, sw * 100 + sh);
        const expected = tfjsResize(kind, image, ow, oh, grid);
        const actual = ours(kind, image, fillPlan(ow, oh), grid);
        expect(actual.length).toBe(expected.length);
        expect(Array.from(actual)).toEqual(Array.from(expected));
      });

      it(`${kind}, ${grid.name}: a centre-crop window equals the same window of the full resize`, () => {
        const image = sourceImage(53, 41, 7);
        const plan = resizePlan(53, 41, { width: 24, height: 24, resize: { mode: "cover", shorterSide: 31 } });
        expect(plan).toMatchObject({ resizedWidth: 40, resizedHeight: 31, window: { left: 8, top: 4, width: 24, height: 24 } });
        const full = tfjsResize(kind, image, plan.resizedWidth, plan.resizedHeight, grid);
        expect(Array.from(ours(kind, image, plan, grid))).toEqual(Array.from(cut(full, plan.resizedWidth, plan.window)));
      });
    }
  }

  it("the bilinear kernel interpolates (a test image is not resized to a copy of its nearest samples)", () => {
    const image = sourceImage(37, 23, 1);
    const grid = GRIDS[0]!;
    const bilinear = ours("bilinear", image, fillPlan(17, 29), grid);
    expect(Array.from(bilinear).some((value) => !Number.isInteger(value))).toBe(true);
    expect(Array.from(bilinear)).not.toEqual(Array.from(ours("nearest", image, fillPlan(17, 29), grid)));
  });

  it("rejects alignCorners together with halfPixelCenters, as tfjs does", () => {
    expect(() => tensorflowBilinear({ alignCorners: true, halfPixelCenters: true })).toThrow(RangeError);
    expect(() => tensorflowNearest({ alignCorners: true, halfPixelCenters: true })).toThrow(RangeError);
  });
});

const square = (size: number, resize: ResizeTarget["resize"]): ResizeTarget => ({ width: size, height: size, resize });

describe("resizePlan", () => {
  it("fill: straight to the model's size, the whole of it", () => {
    expect(resizePlan(640, 480, { width: 224, height: 200, resize: { mode: "fill" } })).toEqual({
      resizedWidth: 224,
      resizedHeight: 200,
      window: { left: 0, top: 0, width: 224, height: 200 },
      placeLeft: 0,
      placeTop: 0,
    });
  });

  it("cover without shorterSide: the governing side to the model's size, the other truncated, centre crop", () => {
    // 224 * 640 / 480 = 298.67 → 298; (298 - 224) / 2 = 37.
    expect(resizePlan(640, 480, square(224, { mode: "cover" }))).toEqual({
      resizedWidth: 298,
      resizedHeight: 224,
      window: { left: 37, top: 0, width: 224, height: 224 },
      placeLeft: 0,
      placeTop: 0,
    });
    // Tall source, wide model (200x100): width governs, 200 * 300 / 300 = 200 high, crop from (200 - 100) / 2 = 50.
    expect(resizePlan(300, 300, { width: 200, height: 100, resize: { mode: "cover" } })).toMatchObject({
      resizedWidth: 200,
      resizedHeight: 200,
      window: { left: 0, top: 50, width: 200, height: 100 },
    });
    // 3x5 source into 3x2: 3 * 5 / 3 = 5 high, offset 1.5 → 2 (half to even); 4x5 into 3x2: 15 / 4 = 3.75 → 3, 0.5 → 0.
    expect(resizePlan(3, 5, { width: 3, height: 2, resize: { mode: "cover" } }).window).toEqual({ left: 0, top: 2, width: 3, height: 2 });
    expect(resizePlan(4, 5, { width: 3, height: 2, resize: { mode: "cover" } })).toMatchObject({
      resizedHeight: 3,
      window: { left: 0, top: 0, width: 3, height: 2 },
    });
  });

  it("cover with shorterSide: torchvision Resize (longer side truncated) + CenterCrop (offsets rounded half to even)", () => {
    // 256 * 640 / 480 = 341.33 → 341; left (341 - 224) / 2 = 58.5 → 58, top (256 - 224) / 2 = 16.
    expect(resizePlan(640, 480, square(224, { mode: "cover", shorterSide: 256 }))).toEqual({
      resizedWidth: 341,
      resizedHeight: 256,
      window: { left: 58, top: 16, width: 224, height: 224 },
      placeLeft: 0,
      placeTop: 0,
    });
    // Portrait: the width is the shorter side. 256 * 500 / 333 = 384.38 → 384; top (384 - 224) / 2 = 80, left 16.
    expect(resizePlan(333, 500, square(224, { mode: "cover", shorterSide: 256 }))).toMatchObject({
      resizedWidth: 256,
      resizedHeight: 384,
      window: { left: 16, top: 80, width: 224, height: 224 },
    });
    // (253 - 224) / 2 = 14.5 → 14 and (255 - 224) / 2 = 15.5 → 16, where Math.round would give 15 and 16.
    expect(resizePlan(400, 400, square(224, { mode: "cover", shorterSide: 253 })).window).toMatchObject({ left: 14, top: 14 });
    expect(resizePlan(400, 400, square(224, { mode: "cover", shorterSide: 255 })).window).toMatchObject({ left: 16, top: 16 });
  });

  it("contain: fitted side to the model's size, the other rounded, centred with the smaller margin left/top", () => {
    // 224 * 480 / 640 = 168; margins (224 - 168) / 2 = 28 each.
    expect(resizePlan(640, 480, square(224, { mode: "contain" }))).toEqual({
      resizedWidth: 224,
      resizedHeight: 168,
      window: { left: 0, top: 0, width: 224, height: 168 },
      placeLeft: 0,
      placeTop: 28,
    });
    // 10x7 into 10x10: 3 rows of margin, 1 above and 2 below.
    expect(resizePlan(10, 7, square(10, { mode: "contain" }))).toMatchObject({ resizedWidth: 10, resizedHeight: 7, placeLeft: 0, placeTop: 1 });
    // Tall 3x10 into 10x10: 3 columns wide, 3 left and 4 right.
    expect(resizePlan(3, 10, square(10, { mode: "contain" }))).toMatchObject({ resizedWidth: 3, resizedHeight: 10, placeLeft: 3, placeTop: 0 });
    // 10 * 7 / 4 = 17.5 rounds up to 18 (Math.round), margin (20 - 18) / 2 = 1, either way round.
    expect(resizePlan(7, 4, { width: 20, height: 10, resize: { mode: "contain" } })).toMatchObject({ resizedWidth: 18, resizedHeight: 10, placeLeft: 1, placeTop: 0 });
    expect(resizePlan(4, 7, { width: 10, height: 20, resize: { mode: "contain" } })).toMatchObject({ resizedWidth: 10, resizedHeight: 18, placeLeft: 0, placeTop: 1 });
    // A 1000x1 panorama keeps at least one row: round(0.01) = 0 → 1, placed at floor(9 / 2) = 4.
    expect(resizePlan(1000, 1, square(10, { mode: "contain" }))).toMatchObject({ resizedWidth: 10, resizedHeight: 1, placeTop: 4 });
  });
});

function modelInput(input: Record<string, unknown>): ModelInput {
  return parseManifestFile({
    name: "t",
    version: "1",
    source: {},
    file: "model.onnx",
    sha256: "0".repeat(64),
    input: { name: "x", colorOrder: "RGB", resize: { mode: "fill", convention: "tensorflow-bilinear" }, scale: 1, ...input },
    output: { name: "y", kind: "logits" },
    labels: ["a"],
  }).input;
}

describe("writeResizedTensor", () => {
  // A 2x1 window of RGB values (not integers: TensorFlow's conventions write the unrounded interpolation).
  const values = Float32Array.from([10.5, 20, 30, 40, 50, 60.25]);

  it("NCHW RGB, a window covering the whole input: one plane per channel", () => {
    const input = modelInput({ layout: "NCHW", width: 2, height: 1 });
    const target = new Float32Array(6);
    writeResizedTensor(values, { width: 2, height: 1, left: 0, top: 0, background: [0, 0, 0] }, input, target, 0);
    expect(Array.from(target)).toEqual([10.5, 40, 20, 50, 30, 60.25]);
  });

  it("NHWC BGR with scale, mean and std, at an offset into a batch buffer", () => {
    // value = (v * 0.5 - mean[c]) / std[c] with tensor channel c fed by source channel 2 - c; all exact in float32.
    const input = modelInput({ layout: "NHWC", width: 2, height: 1, colorOrder: "BGR", scale: 0.5, mean: [1, 2, 3], std: [2, 4, 0.5] });
    const target = new Float32Array(6 + 6).fill(-99);
    writeResizedTensor(values, { width: 2, height: 1, left: 0, top: 0, background: [0, 0, 0] }, input, target, 6);
    expect(Array.from(target.subarray(0, 6))).toEqual([-99, -99, -99, -99, -99, -99]);
    expect(Array.from(target.subarray(6))).toEqual([
      (30 * 0.5 - 1) / 2, (20 * 0.5 - 2) / 4, (10.5 * 0.5 - 3) / 0.5,
      (60.25 * 0.5 - 1) / 2, (50 * 0.5 - 2) / 4, (40 * 0.5 - 3) / 0.5,
    ]);
  });

  it("contain: the window at its place, every other pixel the background (normalised like a pixel)", () => {
    // Model input 3x2; the 2x1 window lands at (1, 1); background [100, 150, 200]; scale 0.5, mean 10 per channel.
    const input = modelInput({ layout: "NCHW", width: 3, height: 2, scale: 0.5, mean: [10, 10, 10] });
    const target = new Float32Array(18).fill(Number.NaN);
    writeResizedTensor(values, { width: 2, height: 1, left: 1, top: 1, background: [100, 150, 200] }, input, target, 0);
    const [r, g, b] = [100 * 0.5 - 10, 150 * 0.5 - 10, 200 * 0.5 - 10];
    expect(Array.from(target)).toEqual([
      r, r, r, r, 10.5 * 0.5 - 10, 40 * 0.5 - 10,
      g, g, g, g, 20 * 0.5 - 10, 50 * 0.5 - 10,
      b, b, b, b, 30 * 0.5 - 10, 60.25 * 0.5 - 10,
    ]);
  });

  it("contain in NHWC BGR: margins get the background in the model's colour order", () => {
    const input = modelInput({ layout: "NHWC", width: 2, height: 2, colorOrder: "BGR" });
    const target = new Float32Array(12).fill(Number.NaN);
    writeResizedTensor(values.subarray(0, 3), { width: 1, height: 1, left: 1, top: 0, background: [1, 2, 3] }, input, target, 0);
    expect(Array.from(target)).toEqual([3, 2, 1, 30, 20, 10.5, 3, 2, 1, 3, 2, 1]);
  });

  it("rejects a window outside the model input, a slot outside the buffer and too few values", () => {
    const input = modelInput({ layout: "NCHW", width: 2, height: 2 });
    const placed = { width: 2, height: 1, left: 0, top: 0, background: [0, 0, 0] as const };
    expect(() => writeResizedTensor(values, { ...placed, left: 1 }, input, new Float32Array(12), 0)).toThrow(RangeError);
    expect(() => writeResizedTensor(values, placed, input, new Float32Array(12), 1)).toThrow(RangeError);
    expect(() => writeResizedTensor(values, { ...placed, height: 2 }, input, new Float32Array(12), 0)).toThrow(/too few values/);
  });
});
