import fc from "fast-check";
import sharp, { type Sharp } from "sharp";
import { describe, expect, it } from "vitest";
import { ClientError } from "../handler/errors.js";
import { acceptedFormats, imageTensorLength, preprocessInto, sniffImageFormat } from "../handler/images.js";
import { type ModelInput, parseManifestFile } from "../handler/manifest.js";
import { FUNCTION_DEFAULTS } from "../handler/settings.js";
import { writeImageTensor } from "../handler/tensor-layout.js";
import { pngFile } from "./support/crafted-images.js";
import { knownPixels } from "./support/test-images.js";

const IMAGENET = { scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

/** A validated model input, built through the manifest schema so defaults match production. */
function modelInput(input: Record<string, unknown>): ModelInput {
  return parseManifestFile({
    name: "t",
    version: "1",
    source: {},
    file: "model.onnx",
    sha256: "0".repeat(64),
    input: { name: "x", colorOrder: "RGB", resize: { mode: "fill", kernel: "nearest" }, scale: 1 / 255, ...input },
    output: { name: "y", kind: "logits" },
    labels: ["a"],
  }).input;
}

const png = (pixels: Uint8Array, width: number, height: number, channels: 1 | 3 | 4 = 3) =>
  sharp(pixels, { raw: { width, height, channels } }).png().toBuffer();

const solid = (width: number, height: number, rgb: [number, number, number]) =>
  sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } });

async function preprocess(bytes: Uint8Array, input: ModelInput, maxPixels: number = FUNCTION_DEFAULTS.maxImagePixels) {
  const tensor = new Float32Array(imageTensorLength(input));
  const image = await preprocessInto(bytes, input, tensor, 0, { maxPixels });
  return { tensor, image };
}

async function rejection(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ClientError);
    return error as ClientError;
  }
  throw new Error("was accepted");
}

/** Where pixel (x, y) of tensor channel c lives in one image's slot, by layout. */
function tensorIndex(input: ModelInput, x: number, y: number, c: number): number {
  const { width, height } = input;
  return input.layout === "NHWC" ? (y * width + x) * 3 + c : c * width * height + y * width + x;
}

/** Pixel (x, y) of channel c as the model sees it, read back from the tensor by layout. */
function tensorAt(tensor: Float32Array, input: ModelInput, x: number, y: number, c: number): number {
  return tensor[tensorIndex(input, x, y, c)]!;
}

describe("preprocessInto numerics", () => {
  const width = 5;
  const height = 4;
  const pixels = knownPixels(width * height * 3, 7);

  it.each([
    { layout: "NHWC", colorOrder: "RGB", scale: 1 / 255, mean: [0, 0, 0], std: [1, 1, 1] },
    { layout: "NCHW", colorOrder: "RGB", ...IMAGENET },
    { layout: "NCHW", colorOrder: "BGR", scale: 1, mean: [103.939, 116.779, 123.68], std: [1, 1, 1] },
    { layout: "NHWC", colorOrder: "BGR", scale: 2 / 255, mean: [1, 1, 1], std: [1, 1, 1] },
  ])("writes $layout $colorOrder scale=$scale mean=$mean std=$std exactly by the formula", async (spec) => {
    const input = modelInput({ ...spec, width, height });
    const { tensor, image } = await preprocess(await png(pixels, width, height), input);
    expect(image).toEqual({ width, height, format: "png" });

    // Hand computation: value[c] = (pixel[c] * scale - mean[c]) / std[c], c in the manifest's colour order.
    const source = spec.colorOrder === "BGR" ? [2, 1, 0] : [0, 1, 2];
    const expected = new Float32Array(tensor.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < 3; c++) {
          const pixel = pixels[(y * width + x) * 3 + source[c]!]!;
          const value = (pixel * spec.scale - spec.mean[c]!) / spec.std[c]!;
          const index = spec.layout === "NHWC" ? (y * width + x) * 3 + c : c * width * height + y * width + x;
          expected[index] = value;
        }
      }
    }
    expect(Array.from(tensor)).toEqual(Array.from(expected));
  });

  it("writes only its own slot of a batch buffer", async () => {
    const input = modelInput({ layout: "NCHW", width, height });
    const slot = imageTensorLength(input);
    const batch = new Float32Array(slot * 3).fill(-7);
    await preprocessInto(await png(pixels, width, height), input, batch, slot, { maxPixels: 1e6 });
    expect(batch.subarray(0, slot).every((v) => v === -7)).toBe(true);
    expect(batch.subarray(2 * slot).every((v) => v === -7)).toBe(true);
    expect(batch[slot]).toBeCloseTo(pixels[0]! / 255, 6);
    await expect(preprocessInto(await png(pixels, width, height), input, batch, 2 * slot + 1, { maxPixels: 1e6 })).rejects.toThrow(
      RangeError,
    );
  });
});

describe("writeImageTensor", () => {
  it("matches a direct evaluation of the formula for any size, window, layout, order and normalisation", () => {
    const channel = fc.double({ min: -200, max: 200, noNaN: true });
    const positive = fc.double({ min: 0.01, max: 100, noNaN: true });
    fc.assert(
      fc.property(
        fc.record({
          width: fc.integer({ min: 1, max: 6 }),
          height: fc.integer({ min: 1, max: 6 }),
          extraWidth: fc.integer({ min: 0, max: 3 }),
          extraHeight: fc.integer({ min: 0, max: 3 }),
          layout: fc.constantFrom("NCHW", "NHWC"),
          colorOrder: fc.constantFrom("RGB", "BGR"),
          scale: positive,
          mean: fc.tuple(channel, channel, channel),
          std: fc.tuple(positive, positive, positive),
          seed: fc.integer({ min: 1, max: 1e6 }),
          offset: fc.integer({ min: 0, max: 5 }),
        }),
        (spec) => {
          const { width, height, layout, colorOrder, scale, mean, std } = spec;
          const input = modelInput({ width, height, layout, colorOrder, scale, mean, std, resize: { mode: "fill" } });
          const rowPixels = spec.width + spec.extraWidth;
          const rows = spec.height + spec.extraHeight;
          const pixels = knownPixels(rowPixels * rows * 3, spec.seed);
          const left = Math.floor(spec.extraWidth / 2);
          const top = Math.floor(spec.extraHeight / 2);
          const target = new Float32Array(spec.offset + 3 * spec.width * spec.height);
          writeImageTensor({ pixels, rowPixels, left, top }, input, target, spec.offset);
          const source = spec.colorOrder === "BGR" ? [2, 1, 0] : [0, 1, 2];
          for (let y = 0; y < spec.height; y++) {
            for (let x = 0; x < spec.width; x++) {
              for (let c = 0; c < 3; c++) {
                const pixel = pixels[((top + y) * rowPixels + left + x) * 3 + source[c]!]!;
                const want = Math.fround((pixel * spec.scale - spec.mean[c]!) / spec.std[c]!);
                if (target[spec.offset + tensorIndex(input, x, y, c)] !== want) return false;
              }
            }
          }
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("resize modes", () => {
  // Each column x has red = 30 * floor(x / 2), so halving the width with nearest keeps column j = 30 * j.
  function columnRamp(width: number, height: number): Uint8Array {
    const out = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) out.set([30 * Math.floor(x / 2), 100, 200], (y * width + x) * 3);
    }
    return out;
  }
  const redRow = (tensor: Float32Array, input: ModelInput, y: number) =>
    Array.from({ length: input.width }, (_, x) => Math.round(tensorAt(tensor, input, x, y, 0) * 255));

  it("fill stretches to width x height", async () => {
    const input = modelInput({ layout: "NHWC", width: 4, height: 4, scale: 1 / 255 });
    const pixels = new Uint8Array([10, 0, 0, 20, 0, 0, 30, 0, 0, 40, 0, 0]); // 2x2
    const { tensor } = await preprocess(await png(pixels, 2, 2), input);
    expect(redRow(tensor, input, 0)).toEqual([10, 10, 20, 20]);
    expect(redRow(tensor, input, 3)).toEqual([30, 30, 40, 40]);
  });

  it("cover scales to cover the box and crops the centre", async () => {
    const input = modelInput({ layout: "NCHW", width: 4, height: 4, resize: { mode: "cover", kernel: "nearest" } });
    const { tensor } = await preprocess(await png(columnRamp(8, 4), 8, 4), input);
    // 8x4 already covers 4x4 at scale 1: the centre columns 2..5 remain.
    expect(redRow(tensor, input, 0)).toEqual([30, 30, 60, 60]);
    expect(redRow(tensor, input, 3)).toEqual([30, 30, 60, 60]);
  });

  it("cover with shorterSide resizes the shorter side first, then crops the centre", async () => {
    const input = modelInput({
      layout: "NHWC",
      width: 4,
      height: 4,
      resize: { mode: "cover", shorterSide: 4, kernel: "nearest" },
    });
    const { tensor } = await preprocess(await png(columnRamp(16, 8), 16, 8), input);
    // 16x8 → 8x4 (column j = 30 * j) → centre 4 columns 2..5.
    expect(redRow(tensor, input, 0)).toEqual([60, 90, 120, 150]);
    expect(Math.round(tensorAt(tensor, input, 0, 0, 1) * 255)).toBe(100);
  });

  it("contain letterboxes with the manifest's background", async () => {
    const input = modelInput({
      layout: "NHWC",
      width: 4,
      height: 4,
      resize: { mode: "contain", kernel: "nearest", background: [0, 255, 0] },
    });
    const { tensor } = await preprocess(await solid(4, 2, [255, 0, 0]).png().toBuffer(), input);
    const rgbAt = (y: number) => [0, 1, 2].map((c) => Math.round(tensorAt(tensor, input, 1, y, c) * 255));
    expect(rgbAt(0)).toEqual([0, 255, 0]);
    expect(rgbAt(1)).toEqual([255, 0, 0]);
    expect(rgbAt(2)).toEqual([255, 0, 0]);
    expect(rgbAt(3)).toEqual([0, 255, 0]);
  });
});

describe("decoding", () => {
  const input = modelInput({ layout: "NHWC", width: 8, height: 6, resize: { mode: "fill", kernel: "linear" } });
  const meanRgb = (tensor: Float32Array) =>
    [0, 1, 2].map((c) => {
      let sum = 0;
      for (let i = c; i < tensor.length; i += 3) sum += tensor[i]!;
      return (sum / (tensor.length / 3)) * 255;
    });
  const colour: [number, number, number] = [200, 60, 30];

  it.each([
    ["jpeg", (s: Sharp) => s.jpeg({ quality: 95 }), 6],
    ["png", (s: Sharp) => s.png(), 0],
    ["webp", (s: Sharp) => s.webp({ lossless: true }), 0],
    ["gif", (s: Sharp) => s.gif(), 0],
    ["avif", (s: Sharp) => s.avif({ quality: 90 }), 6],
    ["tiff", (s: Sharp) => s.tiff({ compression: "lzw" }), 0],
  ] as const)("decodes %s", async (format, encode, tolerance) => {
    const bytes = await encode(solid(32, 24, colour)).toBuffer();
    expect(sniffImageFormat(bytes)).toBe(format);
    const { tensor, image } = await preprocess(bytes, input);
    expect(image).toEqual({ width: 32, height: 24, format });
    meanRgb(tensor).forEach((value, c) => expect(Math.abs(value - colour[c]!)).toBeLessThanOrEqual(tolerance + 1e-3));
  });

  it("lists a media type for every accepted format", () => {
    expect(Object.keys(acceptedFormats).sort()).toEqual(["avif", "gif", "jpeg", "png", "tiff", "webp"]);
  });

  it("uses the first frame of an animated GIF", async () => {
    const red = await solid(8, 6, [255, 0, 0]).png().toBuffer();
    const blue = await solid(8, 6, [0, 0, 255]).png().toBuffer();
    const gif = await sharp([red, blue], { join: { animated: true } }).gif().toBuffer();
    const { tensor } = await preprocess(gif, input);
    expect(meanRgb(tensor).map(Math.round)).toEqual([255, 0, 0]);
  });

  it("honours EXIF orientation", async () => {
    // Stored 16 wide x 8 high: left half red, right half blue. Orientation 6 = rotate 90° clockwise to display,
    // so the displayed image is 8 wide x 16 high with red on top.
    const stored = new Uint8Array(16 * 8 * 3);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 16; x++) stored.set(x < 8 ? [255, 0, 0] : [0, 0, 255], (y * 16 + x) * 3);
    const jpeg = await sharp(stored, { raw: { width: 16, height: 8, channels: 3 } })
      .jpeg({ quality: 100, chromaSubsampling: "4:4:4" })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const portrait = modelInput({ layout: "NCHW", width: 8, height: 16 });
    const { tensor, image } = await preprocess(jpeg, portrait);
    expect(image).toEqual({ width: 8, height: 16, format: "jpeg" });
    const rgb = (x: number, y: number) => [0, 1, 2].map((c) => Math.round(tensorAt(tensor, portrait, x, y, c) * 255));
    expect(rgb(4, 1)[0]).toBeGreaterThan(200);
    expect(rgb(4, 1)[2]).toBeLessThan(50);
    expect(rgb(4, 14)[0]).toBeLessThan(50);
    expect(rgb(4, 14)[2]).toBeGreaterThan(200);
  });

  it("turns grayscale, 16-bit, palette, CMYK and alpha images into 8-bit sRGB", async () => {
    const grey = await png(new Uint8Array(8 * 6).fill(100), 8, 6, 1);
    expect(meanRgb((await preprocess(grey, input)).tensor).map(Math.round)).toEqual([100, 100, 100]);

    const grey16 = await sharp(new Uint16Array(8 * 6).fill(0x8080), { raw: { width: 8, height: 6, channels: 1 } })
      .toColourspace("grey16")
      .png()
      .toBuffer();
    expect((await sharp(grey16).metadata()).depth).toBe("ushort");
    expect(meanRgb((await preprocess(grey16, input)).tensor).map(Math.round)).toEqual([128, 128, 128]);

    const palette = await solid(8, 6, [10, 200, 30]).png({ palette: true }).toBuffer();
    expect((await sharp(palette).metadata()).isPalette).toBe(true);
    expect(meanRgb((await preprocess(palette, input)).tensor).map(Math.round)).toEqual([10, 200, 30]);

    const cmyk = await solid(8, 6, [10, 200, 30]).toColourspace("cmyk").jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe("cmyk");
    const fromCmyk = meanRgb((await preprocess(cmyk, input)).tensor);
    expect(fromCmyk[1]).toBeGreaterThan(fromCmyk[0]!); // still mostly green

    // Fully transparent red composited onto the default white alpha background; opaque pixels kept.
    const rgba = new Uint8Array(8 * 6 * 4);
    for (let i = 0; i < 8 * 6; i++) rgba.set(i < 24 ? [255, 0, 0, 0] : [0, 0, 255, 255], i * 4);
    const { tensor } = await preprocess(await png(rgba, 8, 6, 4), modelInput({ layout: "NHWC", width: 8, height: 6 }));
    expect([0, 1, 2].map((c) => Math.round(tensor[c]! * 255))).toEqual([255, 255, 255]);
    expect([0, 1, 2].map((c) => Math.round(tensor[tensor.length - 3 + c]! * 255))).toEqual([0, 0, 255]);
  });
});

describe("rejections", () => {
  const input = modelInput({ layout: "NHWC", width: 8, height: 6 });
  const noise = knownPixels(64 * 48 * 3, 3);

  it("rejects zero bytes as EMPTY_IMAGE", async () => {
    expect((await rejection(preprocess(new Uint8Array(0), input))).code).toBe("EMPTY_IMAGE");
  });

  it.each([
    ["SVG", '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'],
    ["SVG with an XML declaration", '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'],
    ["text", "hello, this is not an image"],
    ["BMP", "BM\x46\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00"],
    ["HEIC", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"],
  ])("rejects %s as UNSUPPORTED_MEDIA_TYPE", async (_name, text) => {
    const error = await rejection(preprocess(Buffer.from(text, "latin1"), input));
    expect(error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(error.message).toMatch(/JPEG, PNG, WEBP, GIF, AVIF, TIFF/);
  });

  it.each([
    ["jpeg", (s: Sharp) => s.jpeg()],
    ["png", (s: Sharp) => s.png()],
    ["webp", (s: Sharp) => s.webp()],
  ] as const)("rejects a truncated %s as INVALID_IMAGE", async (_format, encode) => {
    const whole = await encode(sharp(noise, { raw: { width: 64, height: 48, channels: 3 } })).toBuffer();
    const truncated = whole.subarray(0, Math.floor(whole.length * 0.6));
    expect((await rejection(preprocess(truncated, input))).code).toBe("INVALID_IMAGE");
  });

  it("rejects a corrupt body behind valid magic bytes as INVALID_IMAGE", async () => {
    const corrupt = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(knownPixels(2000, 9))]);
    expect((await rejection(preprocess(corrupt, input))).code).toBe("INVALID_IMAGE");
  });

  it("keeps sharp's own error as the cause, for the log", async () => {
    const whole = await sharp(noise, { raw: { width: 64, height: 48, channels: 3 } }).jpeg().toBuffer();
    const error = await rejection(preprocess(whole.subarray(0, Math.floor(whole.length * 0.6)), input));
    expect(error.code).toBe("INVALID_IMAGE");
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).message).toMatch(/jpeg|premature|corrupt|truncated/i);
    const bomb = await rejection(preprocess(pngFile({ width: 100_000, height: 100_000, scanlines: Buffer.alloc(1000) }), input));
    expect((bomb.cause as Error).message).toMatch(/pixel limit/i);
  });

  it("rejects a header claiming 100000 x 100000 pixels as IMAGE_TOO_LARGE without decoding it", async () => {
    const bomb = pngFile({ width: 100_000, height: 100_000, scanlines: Buffer.alloc(1000) });
    expect((await rejection(preprocess(bomb, input))).code).toBe("IMAGE_TOO_LARGE");
  });

  it("applies a configured pixel limit", async () => {
    const image = await solid(100, 100, [1, 2, 3]).png().toBuffer();
    expect((await rejection(preprocess(image, input, 9_999))).code).toBe("IMAGE_TOO_LARGE");
    await expect(preprocess(image, input, 10_000)).resolves.toBeDefined();
  });
});
