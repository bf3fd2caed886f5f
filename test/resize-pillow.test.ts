import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { resizePlan } from "../handler/resize/geometry.js";
import { pillowBicubic, pillowBilinear } from "../handler/resize/pillow.js";
import type { ExactResize, PixelWindow, ResizePlan, RgbImage } from "../handler/resize/types.js";

const GOLDENS = fileURLToPath(new URL("fixtures/resize-goldens/pillow/", import.meta.url));

interface GoldenCase {
  readonly name: string;
  readonly input: string;
  readonly method: "bilinear" | "bicubic";
  readonly resize: { readonly width: number; readonly height: number };
  readonly crop: PixelWindow;
  readonly torchvision: { readonly resize: number; readonly centerCrop: { readonly width: number; readonly height: number } } | null;
  readonly expected: string;
}

const index = JSON.parse(readFileSync(`${GOLDENS}index.json`, "utf8")) as { versions: Record<string, string>; cases: GoldenCase[] };
const kernels: Record<GoldenCase["method"], ExactResize> = { bilinear: pillowBilinear, bicubic: pillowBicubic };

async function readRgb(file: string): Promise<RgbImage> {
  const { data, info } = await sharp(`${GOLDENS}${file}`).raw().toBuffer({ resolveWithObject: true });
  expect(info.channels, `${file} is RGB`).toBe(3);
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

function planOf(golden: GoldenCase, source: RgbImage): ResizePlan {
  if (golden.torchvision === null) {
    return { resizedWidth: golden.resize.width, resizedHeight: golden.resize.height, window: golden.crop, placeLeft: 0, placeTop: 0 };
  }
  const { width, height } = golden.torchvision.centerCrop;
  return resizePlan(source.width, source.height, { width, height, resize: { mode: "cover", shorterSide: golden.torchvision.resize } });
}

function resized(kernel: ExactResize, source: RgbImage, plan: ResizePlan): Float32Array {
  const out = new Float32Array(plan.window.width * plan.window.height * 3);
  kernel(source, plan, out);
  return out;
}

function maxDifference(actual: Float32Array, expected: Uint8Array): { max: number; differing: number } {
  let max = 0;
  let differing = 0;
  for (let i = 0; i < expected.length; i++) {
    const difference = Math.abs(actual[i]! - expected[i]!);
    if (difference > 0) differing++;
    max = Math.max(max, difference);
  }
  return { max, differing };
}

describe(`Pillow's resize, against goldens from Pillow ${index.versions.pillow} / torchvision ${index.versions.torchvision}`, () => {
  it("has the cases the conventions rely on", () => {
    expect(index.cases.length).toBeGreaterThanOrEqual(15);
    expect(index.cases.filter((golden) => golden.torchvision !== null).length).toBeGreaterThanOrEqual(3);
  });

  it.each(index.cases.map((golden) => [golden.name, golden] as const))("%s: every value exact", async (_name, golden) => {
    const [source, expected] = await Promise.all([readRgb(golden.input), readRgb(golden.expected)]);
    const plan = planOf(golden, source);
    expect({ width: plan.resizedWidth, height: plan.resizedHeight, window: plan.window }).toEqual({ ...golden.resize, window: golden.crop });
    expect({ width: expected.width, height: expected.height }).toEqual({ width: golden.crop.width, height: golden.crop.height });

    // Twice: the second call takes its coefficients from the cache.
    for (let call = 0; call < 2; call++) {
      const actual = resized(kernels[golden.method], source, plan);
      expect(maxDifference(actual, expected.pixels)).toEqual({ max: 0, differing: 0 });
    }
  });
});

/** Deterministic pixels from a seed (a 32-bit LCG), so shrinking fast-check cases stays cheap. */
function noiseImage(width: number, height: number, seed: number): RgbImage {
  const pixels = new Uint8Array(width * height * 3);
  let state = seed >>> 0;
  for (let i = 0; i < pixels.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    pixels[i] = state >>> 24;
  }
  return { pixels, width, height };
}

function wholePlan(width: number, height: number): ResizePlan {
  return { resizedWidth: width, resizedHeight: height, window: { left: 0, top: 0, width, height }, placeLeft: 0, placeTop: 0 };
}

const side = fc.integer({ min: 1, max: 40 });
const method = fc.constantFrom<GoldenCase["method"]>("bilinear", "bicubic");
/** A source size, a resized size and a window inside the resized image (its corners as fractions of the image). */
const planned = fc
  .record({ sourceWidth: side, sourceHeight: side, resizedWidth: side, resizedHeight: side, corners: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })) })
  .map(({ sourceWidth, sourceHeight, resizedWidth, resizedHeight, corners: [a, b, c, d] }) => {
    const left = Math.min(resizedWidth - 1, Math.floor(Math.min(a, b) * resizedWidth));
    const top = Math.min(resizedHeight - 1, Math.floor(Math.min(c, d) * resizedHeight));
    const right = Math.max(left + 1, Math.ceil(Math.max(a, b) * resizedWidth));
    const bottom = Math.max(top + 1, Math.ceil(Math.max(c, d) * resizedHeight));
    const plan: ResizePlan = { resizedWidth, resizedHeight, window: { left, top, width: right - left, height: bottom - top }, placeLeft: 0, placeTop: 0 };
    return { sourceWidth, sourceHeight, plan };
  });

describe("Pillow's resize: properties", () => {
  it("the window equals the same window cut from the whole resized image", () => {
    fc.assert(
      fc.property(planned, method, fc.integer(), ({ sourceWidth, sourceHeight, plan }, name, seed) => {
        const source = noiseImage(sourceWidth, sourceHeight, seed);
        const whole = resized(kernels[name], source, wholePlan(plan.resizedWidth, plan.resizedHeight));
        const { left, top, width, height } = plan.window;
        const cut = new Float32Array(width * height * 3);
        for (let row = 0; row < height; row++) {
          const start = ((top + row) * plan.resizedWidth + left) * 3;
          cut.set(whole.subarray(start, start + width * 3), row * width * 3);
        }
        expect(resized(kernels[name], source, plan)).toEqual(cut);
      }),
      { numRuns: 300 },
    );
  });

  it("a constant image stays constant", () => {
    fc.assert(
      fc.property(planned, method, fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 })), ({ sourceWidth, sourceHeight, plan }, name, rgb) => {
        const pixels = new Uint8Array(sourceWidth * sourceHeight * 3);
        for (let i = 0; i < pixels.length; i++) pixels[i] = rgb[i % 3]!;
        const out = resized(kernels[name], { pixels, width: sourceWidth, height: sourceHeight }, plan);
        for (let i = 0; i < out.length; i++) expect(out[i]).toBe(rgb[i % 3]);
      }),
      { numRuns: 300 },
    );
  });

  it("bilinear (a kernel without negative lobes) stays within each channel's source range", () => {
    fc.assert(
      fc.property(planned, fc.integer(), ({ sourceWidth, sourceHeight, plan }, seed) => {
        const source = noiseImage(sourceWidth, sourceHeight, seed);
        const low = [255, 255, 255];
        const high = [0, 0, 0];
        source.pixels.forEach((value, i) => {
          low[i % 3] = Math.min(low[i % 3]!, value);
          high[i % 3] = Math.max(high[i % 3]!, value);
        });
        const out = resized(pillowBilinear, source, plan);
        out.forEach((value, i) => {
          expect(value).toBeGreaterThanOrEqual(low[i % 3]!);
          expect(value).toBeLessThanOrEqual(high[i % 3]!);
        });
      }),
      { numRuns: 200 },
    );
  });

  it("the same size is a copy of the window", () => {
    const source = noiseImage(5, 4, 7);
    const plan: ResizePlan = { resizedWidth: 5, resizedHeight: 4, window: { left: 1, top: 2, width: 3, height: 2 }, placeLeft: 0, placeTop: 0 };
    const expected = [...source.pixels.subarray(33, 42), ...source.pixels.subarray(48, 57)];
    expect([...resized(pillowBicubic, source, plan)]).toEqual(expected);
  });

  it("refuses a window outside the resized image, pixels that do not match the size, and a short output", () => {
    const source = noiseImage(4, 4, 1);
    const outside: ResizePlan = { ...wholePlan(8, 8), window: { left: 4, top: 0, width: 5, height: 8 } };
    expect(() => pillowBilinear(source, outside, new Float32Array(5 * 8 * 3))).toThrow(/not inside the 8x8/);
    expect(() => pillowBilinear({ ...source, width: 5 }, wholePlan(8, 8), new Float32Array(8 * 8 * 3))).toThrow(/do not hold a 5x4/);
    expect(() => pillowBilinear(source, wholePlan(8, 8), new Float32Array(10))).toThrow(/out holds 10 values/);
  });
});
