import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { Classifier } from "../handler/classifier.js";
import { loadConfig } from "../handler/config.js";
import { decodeCost } from "../handler/images.js";
import { decodePeakMb, defaultDecodeConcurrency, MEMORY_HEADROOM, minimumMemoryMb, worstRequestMb } from "../handler/memory-budget.js";
import { RequestPixelBudget } from "../handler/pixel-budget.js";
import { gifClaiming } from "./support/crafted-images.js";
import { collect, spawnScript } from "./support/processes.js";

const input = { width: 224, height: 224, resize: { mode: "fill", convention: "libvips", kernel: "linear" } } as Parameters<typeof decodeCost>[3];
const solid = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: { r: 90, g: 120, b: 30 } } });

describe("decode cost", () => {
  it("is width x height, except a JPEG much larger than the input, which shrinks on load", () => {
    expect(decodeCost(4000, 3000, "png", input)).toBe(12_000_000);
    expect(decodeCost(8000, 5000, "gif", input)).toBe(40_000_000);
    // 4000x3000 → 224: ratio 13.4, half of it 6.7 → shrink 4 → 16 times fewer pixels.
    expect(decodeCost(4000, 3000, "jpeg", input)).toBe(750_000);
    expect(decodeCost(8000, 6000, "jpeg", input)).toBe(750_000);
    expect(decodeCost(640, 480, "jpeg", input)).toBe(307_200);
    const ImageNet = { width: 224, height: 224, resize: { mode: "cover", convention: "libvips", kernel: "linear", shorterSide: 256 } } as typeof input;
    expect(decodeCost(1800, 1800, "jpeg", input)).toBe(202_500);
    expect(decodeCost(1800, 1800, "jpeg", ImageNet)).toBe(810_000);
  });

  it("is every pixel under an exact resize convention, unless the image is over exactResizeMaxPixels", () => {
    const exact = { ...input, resize: { mode: "fill", convention: "tensorflow-bilinear-align-corners" } } as typeof input;
    expect(decodeCost(4000, 3000, "jpeg", exact)).toBe(12_000_000);
    expect(decodeCost(4000, 3000, "jpeg", exact, 12_000_000)).toBe(12_000_000);
    expect(decodeCost(4000, 3000, "jpeg", exact, 11_999_999)).toBe(750_000);
  });
});

describe("request pixel budget", () => {
  it("grants in request order whatever order the headers arrive in; a refused image takes nothing", async () => {
    const budget = new RequestPixelBudget(100, 4);
    const outcomes: string[] = [];
    const ask = (index: number, cost: number) =>
      budget.take(index, cost).then(
        () => outcomes.push(`${index}:ok`),
        (error: { code: string }) => outcomes.push(`${index}:${error.code}`),
      );
    // The last images ask first; they wait for the earlier ones.
    const later = [ask(3, 10), ask(2, 60)];
    await ask(0, 50);
    budget.release(1);
    await Promise.all(later);
    expect(outcomes).toEqual(["0:ok", "2:TOO_MANY_PIXELS", "3:ok"]);
  });
});

describe("the memory model", () => {
  const limits = { maxImagePixels: 40_000_000, maxBatchImages: 16, maxBodyBytes: 6 * 1024 * 1024, s3MaxObjectBytes: 20 * 1024 * 1024, readsS3: false };

  it("keeps the worst request of the default limits under 60 % of the memory it derives its concurrency from", () => {
    for (const memoryMb of [1024, 1536, 2048, 3008, 4096, 10_240]) {
      for (const readsS3 of [false, true]) {
        const decodes = defaultDecodeConcurrency(memoryMb, { ...limits, readsS3 });
        if (memoryMb >= minimumMemoryMb({ ...limits, readsS3 }, decodes)) {
          expect(worstRequestMb({ ...limits, readsS3 }, decodes), `${memoryMb} MB, S3 ${readsS3}`).toBeLessThanOrEqual(memoryMb * MEMORY_HEADROOM);
        }
      }
    }
    expect(decodePeakMb(40_000_000)).toBeCloseTo(381.5, 1);
    expect(minimumMemoryMb(limits)).toBe(1176);
  });
});

describe("a classifier with a pixel budget and one decode at a time", () => {
  let classifier: Classifier;
  beforeAll(async () => {
    const config = loadConfig({});
    classifier = await Classifier.load(config.modelDir, { threads: 1, warmup: false, maxRequestPixels: 5_000_000, decodeConcurrency: 1 });
  });

  it("decodes images until the budget is spent; later ones that fit still decode", async () => {
    const small = await solid(100, 100).png().toBuffer();
    const { results } = await classifier.classify([gifClaiming(2000, 1000), gifClaiming(2000, 1000), gifClaiming(2000, 1000), small], 1);
    expect(results.map((result) => (result.ok ? "OK" : result.error.code))).toEqual(["OK", "OK", "TOO_MANY_PIXELS", "OK"]);
    const refused = results[2]!;
    expect(!refused.ok && refused.error.message).toMatch(/2000000 pixels and 1000000 of the request's 5000000 are left .*MAX_REQUEST_PIXELS/);
  });

  it("counts a large JPEG by all its pixels under the default model's exact resize, like a PNG of the same size", async () => {
    const jpeg = await solid(4000, 3000).jpeg().toBuffer();
    const png = await solid(4000, 3000).png().toBuffer();
    const { results } = await classifier.classify([jpeg, png], 1);
    expect(results.map((result) => (result.ok ? "OK" : result.error.code))).toEqual(["TOO_MANY_PIXELS", "TOO_MANY_PIXELS"]);
  });

  it("counts a large JPEG by what it decodes to when it is over exactResizeMaxPixels and takes the fast path", async () => {
    const fastAbove2Mp = await Classifier.load(loadConfig({}).modelDir, {
      threads: 1,
      warmup: false,
      maxRequestPixels: 5_000_000,
      decodeConcurrency: 1,
      exactResizeMaxPixels: 2_000_000,
    });
    try {
      const jpeg = await solid(4000, 3000).jpeg().toBuffer();
      const png = await solid(4000, 3000).png().toBuffer();
      const { results } = await fastAbove2Mp.classify([jpeg, png], 1);
      expect(results.map((result) => (result.ok ? "OK" : result.error.code))).toEqual(["OK", "TOO_MANY_PIXELS"]);
    } finally {
      await fastAbove2Mp.dispose();
    }
  });

  it("answers the same images the same way however often it is asked (the budget is per call)", async () => {
    const images = [gifClaiming(2000, 1000), gifClaiming(2000, 1000), gifClaiming(2000, 1000)];
    const first = await classifier.classify(images, 1);
    const second = await classifier.classify(images, 1);
    expect(second.results.map((result) => result.ok)).toEqual(first.results.map((result) => result.ok));
  });
});

describe("the worst requests the default limits allow, in a fresh 1536 MB function", () => {
  it("peak RSS stays under 60 % of the memory size, and each request decodes only what its budget allows", async () => {
    const memoryMb = 1536;
    const run = await collect(
      spawnScript("test/support/worst-request-child.ts", [], {
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
        POWERTOOLS_LOG_LEVEL: "SILENT",
        POWERTOOLS_METRICS_DISABLED: "true",
        ORT_INTRA_OP_THREADS: "1",
      }),
    );
    expect(run.code, run.stderr).toBe(0);
    const { peakMb, outcome } = JSON.parse(run.stdout.trim().split("\n").at(-1)!) as {
      peakMb: number;
      outcome: Record<string, { status: number; codes: string[]; cpuMs: number }>;
    };
    // 16 GIFs declaring 8000x5000 (a 1 KB request) and 8 EXIF-rotated 16-bit RGBA PNGs of 6300x6300: the first two of
    // each decode (80 megapixels), the rest are refused before any pixel of theirs is decoded.
    expect(outcome.gifBombs!.codes).toEqual(["OK", "OK", ...Array(14).fill("TOO_MANY_PIXELS")]);
    expect(outcome.rotatedPngs!.codes).toEqual(["OK", "OK", ...Array(6).fill("TOO_MANY_PIXELS")]);
    expect(peakMb).toBeLessThanOrEqual(memoryMb * MEMORY_HEADROOM);
    console.log(`worst requests at ${memoryMb} MB: peak RSS ${peakMb} MB; CPU ${JSON.stringify(Object.fromEntries(Object.entries(outcome).map(([k, v]) => [k, v.cpuMs])))} ms`);
  }, 120_000);
});
