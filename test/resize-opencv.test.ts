import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { resizePlan } from "../handler/resize/geometry.js";
import { opencvArea, opencvLinear } from "../handler/resize/opencv.js";
import type { ExactResize, PixelWindow, ResizePlan, RgbImage } from "../handler/resize/types.js";

// Goldens written by scripts/tools/resize-goldens/opencv.py with Debian's cv2 (the version and build are in index.json).
const FIXTURES = new URL("./fixtures/resize-goldens/opencv/", import.meta.url);

interface GoldenCase {
  readonly input: string;
  readonly method: "linear" | "area";
  readonly width: number;
  readonly height: number;
  readonly expected: string;
}

const index = JSON.parse(readFileSync(new URL("index.json", FIXTURES), "utf8")) as { opencv: string; cases: GoldenCase[] };
const KERNELS: Record<GoldenCase["method"], ExactResize> = { linear: opencvLinear, area: opencvArea };

async function loadRgb(name: string): Promise<RgbImage> {
  const { data, info } = await sharp(fileURLToPath(new URL(name, FIXTURES))).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(3);
  return { pixels: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

function cut(image: RgbImage, window: PixelWindow): Float32Array {
  const out = new Float32Array(window.width * window.height * 3);
  for (let y = 0; y < window.height; y++) {
    const start = ((window.top + y) * image.width + window.left) * 3;
    out.set(image.pixels.subarray(start, start + window.width * 3), y * window.width * 3);
  }
  return out;
}

function maxAbsDifference(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let max = 0;
  for (let i = 0; i < actual.length; i++) max = Math.max(max, Math.abs(actual[i]! - expected[i]!));
  return max;
}

function run(kernel: ExactResize, source: RgbImage, plan: ResizePlan): Float32Array {
  const out = new Float32Array(plan.window.width * plan.window.height * 3).fill(-1);
  kernel(source, plan, out);
  return out;
}

function windowPlan(resizedWidth: number, resizedHeight: number, window: PixelWindow): ResizePlan {
  return { resizedWidth, resizedHeight, window, placeLeft: 0, placeTop: 0 };
}

describe(`OpenCV resize conventions against cv2.resize goldens (OpenCV ${index.opencv})`, () => {
  it("covers both methods, the fast paths, upscales and 1-pixel-wide inputs", () => {
    expect(index.cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(index.cases.map((golden) => golden.method))).toEqual(new Set(["linear", "area"]));
    expect(index.cases.some((golden) => golden.input === "input-1x50.png")).toBe(true);
  });

  for (const golden of index.cases) {
    const name = `${golden.method}: ${golden.input} → ${golden.width}x${golden.height}`;

    it(`${name} (whole image) is bit-exact`, async () => {
      const [source, expected] = await Promise.all([loadRgb(golden.input), loadRgb(golden.expected)]);
      expect([expected.width, expected.height]).toEqual([golden.width, golden.height]);
      const plan = resizePlan(source.width, source.height, { width: golden.width, height: golden.height, resize: { mode: "fill" } });
      const actual = run(KERNELS[golden.method], source, plan);
      expect(maxAbsDifference(actual, cut(expected, plan.window))).toBe(0);
    });

    it(`${name} (centre window) is bit-exact`, async () => {
      const [source, expected] = await Promise.all([loadRgb(golden.input), loadRgb(golden.expected)]);
      const window = {
        left: Math.floor(golden.width / 4),
        top: Math.floor(golden.height / 4),
        width: Math.ceil(golden.width / 2),
        height: Math.ceil(golden.height / 2),
      };
      const actual = run(KERNELS[golden.method], source, windowPlan(golden.width, golden.height, window));
      expect(maxAbsDifference(actual, cut(expected, window))).toBe(0);
    });
  }
});

const methods = fc.constantFrom<[string, ExactResize]>(["linear", opencvLinear], ["area", opencvArea]);
const side = fc.integer({ min: 1, max: 24 });

const randomImage = fc
  .record({ width: side, height: side })
  .chain(({ width, height }) =>
    fc.uint8Array({ minLength: width * height * 3, maxLength: width * height * 3 }).map((pixels): RgbImage => ({ pixels, width, height })),
  );

describe("OpenCV resize conventions: properties", () => {
  it("a constant image stays that constant at any size", () => {
    fc.assert(
      fc.property(methods, side, side, side, side, fc.uint8Array({ minLength: 3, maxLength: 3 }), ([, kernel], width, height, outWidth, outHeight, colour) => {
        const pixels = new Uint8Array(width * height * 3).map((_, i) => colour[i % 3]!);
        const plan = windowPlan(outWidth, outHeight, { left: 0, top: 0, width: outWidth, height: outHeight });
        const out = run(kernel, { pixels, width, height }, plan);
        for (let i = 0; i < out.length; i++) expect(out[i]).toBe(colour[i % 3]);
      }),
    );
  });

  it("stays within each channel's source range", () => {
    fc.assert(
      fc.property(methods, randomImage, side, side, ([, kernel], source, outWidth, outHeight) => {
        const out = run(kernel, source, windowPlan(outWidth, outHeight, { left: 0, top: 0, width: outWidth, height: outHeight }));
        for (let c = 0; c < 3; c++) {
          const channel = source.pixels.filter((_, i) => i % 3 === c);
          const low = Math.min(...channel);
          const high = Math.max(...channel);
          for (let i = c; i < out.length; i += 3) {
            expect(out[i]).toBeGreaterThanOrEqual(low);
            expect(out[i]).toBeLessThanOrEqual(high);
          }
        }
      }),
    );
  });

  it("a window equals the same window cut from the whole resize", () => {
    const sizesAndWindow = fc
      .record({ outWidth: fc.integer({ min: 1, max: 40 }), outHeight: fc.integer({ min: 1, max: 40 }) })
      .chain(({ outWidth, outHeight }) =>
        fc
          .record({ left: fc.integer({ min: 0, max: outWidth - 1 }), top: fc.integer({ min: 0, max: outHeight - 1 }) })
          .chain(({ left, top }) =>
            fc.record({
              outWidth: fc.constant(outWidth),
              outHeight: fc.constant(outHeight),
              window: fc.record({
                left: fc.constant(left),
                top: fc.constant(top),
                width: fc.integer({ min: 1, max: outWidth - left }),
                height: fc.integer({ min: 1, max: outHeight - top }),
              }),
            }),
          ),
      );
    fc.assert(
      fc.property(methods, randomImage, sizesAndWindow, ([, kernel], source, { outWidth, outHeight, window }) => {
        const whole = run(kernel, source, windowPlan(outWidth, outHeight, { left: 0, top: 0, width: outWidth, height: outHeight }));
        const part = run(kernel, source, windowPlan(outWidth, outHeight, window));
        const wholeImage = { pixels: Uint8Array.from(whole), width: outWidth, height: outHeight };
        expect(Array.from(part)).toEqual(Array.from(cut(wholeImage, window)));
      }),
    );
  });

  it("rejects an output buffer smaller than the window", () => {
    const source = { pixels: new Uint8Array(4 * 4 * 3), width: 4, height: 4 };
    const plan = windowPlan(2, 2, { left: 0, top: 0, width: 2, height: 2 });
    expect(() => opencvLinear(source, plan, new Float32Array(11))).toThrow(RangeError);
  });
});
