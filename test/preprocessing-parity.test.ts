import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { load, type NSFWJS } from "nsfwjs";
import sharp, { type Metadata, type OutputInfo } from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Classifier } from "../handler/classifier.js";
import { loadManifest, MANIFEST_FILE, type ModelInput } from "../handler/manifest.js";
import { defaultModelDir } from "../scripts/build-time/default-model/model-dir.js";
import { mulberry32 } from "../scripts/shared/prng.js";

// Issue 13: the same photo gets the same scores from the service as from the model's own library. The default model
// is nsfwjs 4.3.0's MobileNetV2; nsfwjs (tfjs CPU backend) is given the pixels the service decodes (sharp: EXIF
// orientation, alpha flattened onto the manifest's alphaBackground, sRGB, 8 bits) and resizes them itself.
const TOLERANCE = 1e-4;
const LABELS = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"];

type Scores = number[];

/** An SVG scene: gradients, translucent shapes, rotated blocks, thin text-like bars and a zigzag line. */
function scene(width: number, height: number, seed: number): string {
  const random = mulberry32(seed);
  const int = (n: number) => Math.floor(random() * n);
  const colour = () => `rgb(${int(256)},${int(256)},${int(256)})`;
  const shapes: string[] = [];
  for (let i = 0; i < 6; i++) {
    shapes.push(`<ellipse cx="${random() * width}" cy="${random() * height}" rx="${(0.05 + random() * 0.3) * width}" ry="${(0.05 + random() * 0.3) * height}" fill="${colour()}" opacity="${0.4 + random() * 0.5}"/>`);
  }
  for (let i = 0; i < 4; i++) {
    const [x, y] = [random() * width, random() * height];
    shapes.push(`<rect x="${x}" y="${y}" width="${(0.1 + random() * 0.2) * width}" height="${(0.05 + random() * 0.15) * height}" fill="${colour()}" transform="rotate(${int(90) - 45} ${x} ${y})"/>`);
  }
  // "Text": rows of dark bars of word-like widths, a pixel or two high: sharp edges the resize must treat alike.
  const lineHeight = Math.max(2, height / 40);
  for (let row = 0; row < 6; row++) {
    let x = width * 0.05;
    const y = height * 0.6 + row * lineHeight * 2;
    while (x < width * 0.9) {
      const word = (0.02 + random() * 0.08) * width;
      shapes.push(`<rect x="${x}" y="${y}" width="${word}" height="${lineHeight}" fill="#111"/>`);
      x += word + width * 0.02;
    }
  }
  const zigzag = Array.from({ length: 12 }, (_, i) => `${(i / 11) * width},${(i % 2 ? 0.2 : 0.45) * height}`).join(" ");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="${random().toFixed(2)}">
      <stop offset="0" stop-color="${colour()}"/><stop offset="1" stop-color="${colour()}"/></linearGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>
    ${shapes.join("\n")}
    <polyline points="${zigzag}" stroke="${colour()}" stroke-width="${Math.max(1, width / 150)}" fill="none"/>
  </svg>`;
}

/** Packed RGB pixels of a scene with seeded grain (±12 per channel), so no region is flat. */
async function photoPixels(width: number, height: number, seed: number): Promise<Buffer> {
  const pixels = await sharp(Buffer.from(scene(width, height, seed))).removeAlpha().raw().toBuffer();
  const random = mulberry32(seed + 1);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.min(255, Math.max(0, pixels[i]! + Math.floor(random() * 25) - 12));
  return pixels;
}

const rgb = async (width: number, height: number, seed: number) =>
  sharp(await photoPixels(width, height, seed), { raw: { width, height, channels: 3 } });

interface Photo {
  name: string;
  bytes: Buffer;
  /** What the file must be, checked from its header so the case tests what it says. */
  header: Partial<Metadata>;
}

async function photos(): Promise<Photo[]> {
  const list: Photo[] = [
    { name: "tiny 7x5 PNG", bytes: await (await rgb(7, 5, 1)).png().toBuffer(), header: { width: 7, height: 5 } },
    { name: "panorama 1201x240 WebP", bytes: await (await rgb(1201, 240, 2)).webp({ quality: 90 }).toBuffer(), header: { format: "webp" } },
    { name: "tall 240x1001 JPEG", bytes: await (await rgb(240, 1001, 3)).jpeg({ quality: 90 }).toBuffer(), header: { height: 1001 } },
    { name: "12 MP 4000x3000 JPEG", bytes: await (await rgb(4000, 3000, 4)).jpeg({ quality: 85 }).toBuffer(), header: { width: 4000 } },
    { name: "grey 301x199 PNG", bytes: await (await rgb(301, 199, 5)).toColourspace("b-w").png().toBuffer(), header: { channels: 1 } },
  ];

  // RGBA: alpha from opaque (left) to fully transparent (right), over colourful pixels, so the flatten matters.
  const [aw, ah] = [257, 193];
  const colours = await photoPixels(aw, ah, 6);
  const rgba = Buffer.alloc(aw * ah * 4);
  for (let p = 0; p < aw * ah; p++) {
    colours.copy(rgba, p * 4, p * 3, p * 3 + 3);
    rgba[p * 4 + 3] = Math.max(0, 255 - Math.round(((p % aw) / (aw - 1)) * 320));
  }
  list.push({ name: "RGBA 257x193 PNG with transparency", bytes: await sharp(rgba, { raw: { width: aw, height: ah, channels: 4 } }).png().toBuffer(), header: { hasAlpha: true } });

  list.push({ name: "palette 199x263 PNG", bytes: await (await rgb(199, 263, 7)).png({ palette: true, colours: 64 }).toBuffer(), header: { isPalette: true } });

  // 16-bit: 8-bit scene values times 257 plus sub-8-bit detail, so the 16 → 8 bit conversion has work to do.
  const [dw, dh] = [211, 157];
  const eight = await photoPixels(dw, dh, 8);
  const sixteen = new Uint16Array(eight.length);
  const random = mulberry32(80);
  for (let i = 0; i < eight.length; i++) sixteen[i] = Math.min(65535, eight[i]! * 257 + Math.floor(random() * 256));
  const png16 = await sharp(sixteen, { raw: { width: dw, height: dh, channels: 3 } }).toColourspace("rgb16").png().toBuffer();
  list.push({ name: "16-bit 211x157 PNG", bytes: png16, header: { depth: "ushort" } });

  list.push({ name: "CMYK 320x240 JPEG", bytes: await (await rgb(320, 240, 9)).toColourspace("cmyk").jpeg({ quality: 92 }).toBuffer(), header: { space: "cmyk", channels: 4 } });
  return list;
}

/** The same stored 160x120 pixels with EXIF orientation 2..8. */
async function orientedPhotos(): Promise<Photo[]> {
  const base = await photoPixels(160, 120, 10);
  return Promise.all(
    [2, 3, 4, 5, 6, 7, 8].map(async (orientation) => ({
      name: `EXIF orientation ${orientation} JPEG`,
      bytes: await sharp(base, { raw: { width: 160, height: 120, channels: 3 } }).jpeg({ quality: 90 }).withMetadata({ orientation }).toBuffer(),
      header: { orientation },
    })),
  );
}

interface Raster {
  data: Buffer;
  width: number;
  height: number;
}

/** The pixels the service resizes (handler/images.ts's decoder): oriented, flattened, sRGB, 8-bit RGB. */
async function decodeAsService(bytes: Buffer, input: ModelInput, autoOrient = true): Promise<Raster> {
  const { data, info } = await sharp(bytes, { autoOrient }).flatten({ background: input.alphaBackground }).toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
  // OutputInfo.depth exists at run time but not in sharp's types.
  expect([info.channels, (info as OutputInfo & { depth?: string }).depth]).toEqual([3, "uchar"]);
  return { data, width: info.width, height: info.height };
}

/**
 * The CMYK channels as stored (ink amounts, Adobe inversion undone: the same values Pillow reads) turned into RGB
 * without colour management, as libjpeg-style decoders do: R = (255 − C)(255 − K) / 255.
 */
async function naiveCmykToRgb(bytes: Buffer): Promise<Raster> {
  const { data, info } = await sharp(bytes).pipelineColourspace("cmyk").toColourspace("cmyk").raw().toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(4);
  const out = Buffer.alloc(info.width * info.height * 3);
  for (let p = 0; p < info.width * info.height; p++) {
    const k = 255 - data[p * 4 + 3]!;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round(((255 - data[p * 4 + c]!) * k) / 255);
  }
  return { data: out, width: info.width, height: info.height };
}

/** nsfwjs's classify on an int32 [h, w, 3] tensor: it divides by 255 and resizes with resizeBilinear(alignCorners). */
async function nsfwjsScores(model: NSFWJS, raster: Raster): Promise<Scores> {
  const image = tf.tensor3d(Int32Array.from(raster.data), [raster.height, raster.width, 3], "int32");
  try {
    const predictions: { className: string; probability: number }[] = await model.classify(image, LABELS.length);
    return LABELS.map((label) => predictions.find((p) => p.className === label)!.probability);
  } finally {
    image.dispose();
  }
}

async function serviceScores(classifier: Classifier, bytes: Buffer): Promise<Scores> {
  const { results } = await classifier.classify([bytes], LABELS.length);
  const [result] = results;
  if (!result?.ok) throw new Error(`service rejected the photo: ${result?.error.message}`, { cause: result?.error });
  return LABELS.map((label) => result.predictions.find((p) => p.label === label)!.score);
}

const maxDiff = (a: Scores, b: Scores) => Math.max(...a.map((value, k) => Math.abs(value - b[k]!)));

/** A copy of the default model's folder whose manifest names the fast "libvips" convention (same model.onnx). */
async function fastModelDir(): Promise<string> {
  const source = defaultModelDir();
  const dir = await mkdtemp(join(tmpdir(), "parity-libvips-"));
  const manifest = JSON.parse(await readFile(join(source, MANIFEST_FILE), "utf8")) as { file: string; input: { resize: Record<string, unknown> } };
  manifest.input.resize = { ...manifest.input.resize, convention: "libvips" };
  await writeFile(join(dir, MANIFEST_FILE), JSON.stringify(manifest));
  await symlink(join(source, manifest.file), join(dir, manifest.file)).catch(() => copyFile(join(source, manifest.file), join(dir, manifest.file)));
  return dir;
}

interface Row {
  photo: string;
  exact: Scores;
  fast: Scores;
  nsfwjs: Scores;
}

describe("preprocessing parity with nsfwjs 4.3.0 (the default model's own library, tfjs CPU)", () => {
  let model: NSFWJS;
  let exact: Classifier;
  let fast: Classifier;
  let fastDir: string;
  let input: ModelInput;
  const rows: Row[] = [];
  let unorientedScores: Scores;
  let naiveCmyk: { scores: Scores; pixelDiff: number };

  beforeAll(async () => {
    await tf.setBackend("cpu");
    fastDir = await fastModelDir();
    [model, exact, fast] = await Promise.all([
      load("MobileNetV2"),
      Classifier.load(defaultModelDir(), { threads: 2 }),
      Classifier.load(fastDir, { threads: 2 }),
    ]);
    input = (await loadManifest(defaultModelDir())).input;
    expect(input.resize.convention).toBe("tensorflow-bilinear-align-corners");
    expect(fast.manifest.input.resize.convention).toBe("libvips");

    const all = [...(await photos()), ...(await orientedPhotos())];
    for (const photo of all) {
      expect((await sharp(photo.bytes).metadata()) as unknown, photo.name).toMatchObject(photo.header);
      rows.push({
        photo: photo.name,
        exact: await serviceScores(exact, photo.bytes),
        fast: await serviceScores(fast, photo.bytes),
        nsfwjs: await nsfwjsScores(model, await decodeAsService(photo.bytes, input)),
      });
    }
    // Orientations 2..8 store the same pixels: a decoder that ignores EXIF sees this one image for all of them.
    const oriented = all.find((photo) => photo.name.startsWith("EXIF"))!;
    unorientedScores = await nsfwjsScores(model, await decodeAsService(oriented.bytes, input, false));

    const cmyk = all.find((photo) => photo.name.startsWith("CMYK"))!;
    const managed = await decodeAsService(cmyk.bytes, input);
    const naive = await naiveCmykToRgb(cmyk.bytes);
    let sum = 0;
    for (let i = 0; i < naive.data.length; i++) sum += Math.abs(naive.data[i]! - managed.data[i]!);
    naiveCmyk = { scores: await nsfwjsScores(model, naive), pixelDiff: sum / naive.data.length };

    console.table(
      rows.map((row) => ({
        photo: row.photo,
        "exact vs nsfwjs": maxDiff(row.exact, row.nsfwjs).toExponential(1),
        "libvips (fast) vs nsfwjs": maxDiff(row.fast, row.nsfwjs).toFixed(4),
        "nsfwjs top-1": LABELS[row.nsfwjs.indexOf(Math.max(...row.nsfwjs))],
      })),
    );
  }, 240_000);

  afterAll(async () => {
    model?.dispose();
    await exact?.dispose();
    await fast?.dispose();
    if (fastDir) await rm(fastDir, { recursive: true, force: true });
  });

  it(`the exact convention gives nsfwjs's scores to within ${TOLERANCE} on every photo (measured ≤ 6e-7)`, () => {
    expect(rows.length).toBe(16);
    for (const row of rows) expect(maxDiff(row.exact, row.nsfwjs), row.photo).toBeLessThanOrEqual(TOLERANCE);
    // Different photos must not collapse to one answer.
    expect(new Set(rows.map((row) => row.nsfwjs[2]!.toFixed(6))).size).toBeGreaterThan(rows.length / 2);
  });

  it("EXIF: a decoder that ignores orientation (tfjs-node's decodeImage) scores another image: measured 0.0002 to 0.0024 on orientations 2..8", () => {
    const exif = rows.filter((row) => row.photo.startsWith("EXIF"));
    expect(exif).toHaveLength(7);
    const drift = exif.map((row) => maxDiff(row.exact, unorientedScores));
    console.log(`EXIF: |service − nsfwjs on un-oriented pixels| per orientation 2..8: ${drift.map((d) => d.toFixed(4)).join(", ")}`);
    // The service follows the orientation (its scores are nsfwjs's on the oriented pixels, checked above), and
    // that is a different answer from the stored pixels' for at least one orientation.
    expect(Math.max(...drift)).toBeGreaterThan(10 * TOLERANCE);
  });

  it("CMYK JPEG: a naive (255 − C)(255 − K) / 255 decoder instead of sharp's ICC conversion moves scores by 0.10 (measured)", () => {
    const row = rows.find((r) => r.photo.startsWith("CMYK"))!;
    const drift = maxDiff(row.exact, naiveCmyk.scores);
    console.log(`CMYK: mean |naive − ICC| = ${naiveCmyk.pixelDiff.toFixed(1)} per 8-bit channel; max score difference ${drift.toFixed(4)}`);
    expect(naiveCmyk.pixelDiff).toBeGreaterThan(1);
    // Colour management changes the answer; the upper bound keeps the stated 0.10 (with margin) true.
    expect(drift).toBeGreaterThan(10 * TOLERANCE);
    expect(drift).toBeLessThan(0.2);
  });

  it("the fast libvips path drifts from nsfwjs: measured up to 0.048 on photos up to 0.3 MP, 0.23 on the 12 MP JPEG (table above)", () => {
    const drift = rows.map((row) => maxDiff(row.fast, row.nsfwjs));
    // The fast path differs measurably from the library somewhere (or the exact conventions would buy nothing).
    expect(Math.max(...drift)).toBeGreaterThan(10 * TOLERANCE);
  });
});
