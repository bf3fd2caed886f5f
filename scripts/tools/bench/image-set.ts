import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { mulberry32 } from "../../shared/prng.js";

export interface BenchImageSpec {
  id: string;
  format: "jpeg" | "png" | "webp";
  width: number;
  height: number;
}

export interface BenchImage extends BenchImageSpec {
  path: string;
  bytes: number;
  contentType: string;
}

/** The fixed image set of issue 7. The first one is the reference image of the targets. */
export const BENCH_IMAGES: readonly BenchImageSpec[] = [
  { id: "jpeg-640x480", format: "jpeg", width: 640, height: 480 },
  { id: "jpeg-1920x1080", format: "jpeg", width: 1920, height: 1080 },
  { id: "jpeg-4032x3024", format: "jpeg", width: 4032, height: 3024 },
  { id: "png-640x480", format: "png", width: 640, height: 480 },
  { id: "webp-640x480", format: "webp", width: 640, height: 480 },
];

/** Bump when the generator changes so cached files are rebuilt. */
const GENERATOR_VERSION = 1;

/**
 * Photo-like RGB pixels: coarse seeded noise upscaled into smooth colour regions, diagonal gradients and fine grain,
 * then a light blur, so encoders compress it about as well as a photograph (neither flat colour nor pure noise).
 */
async function photoLikePixels(width: number, height: number, seed: number): Promise<Buffer> {
  const random = mulberry32(seed); // every run benchmarks the same pixels
  const coarseW = Math.max(4, Math.round(width / 48));
  const coarseH = Math.max(3, Math.round(height / 48));
  const coarse = Buffer.alloc(coarseW * coarseH * 3);
  for (let i = 0; i < coarse.length; i++) coarse[i] = Math.floor(random() * 256);
  const regions = await sharp(coarse, { raw: { width: coarseW, height: coarseH, channels: 3 } })
    .resize(width, height, { kernel: "cubic", fit: "fill" })
    .raw()
    .toBuffer();
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++, i += 3) {
      const gradient = ((x / width) * 60 + (y / height) * 40) - 50;
      for (let c = 0; c < 3; c++) {
        const grain = (random() - 0.5) * 24;
        const value = regions[i + c]! * 0.8 + gradient * (c === 2 ? -1 : 1) + grain + 25;
        pixels[i + c] = value < 0 ? 0 : value > 255 ? 255 : value;
      }
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).blur(0.6).raw().toBuffer();
}

async function encode(spec: BenchImageSpec, seed: number): Promise<Buffer> {
  const pixels = await photoLikePixels(spec.width, spec.height, seed);
  const image = sharp(pixels, { raw: { width: spec.width, height: spec.height, channels: 3 } });
  switch (spec.format) {
    case "jpeg":
      return image.jpeg({ quality: 85 }).toBuffer();
    case "png":
      return image.png({ compressionLevel: 6 }).toBuffer();
    case "webp":
      return image.webp({ quality: 80 }).toBuffer();
  }
}

const contentTypes = { jpeg: "image/jpeg", png: "image/png", webp: "image/webp" } as const;

/** Generates the image set into `dir` (or reuses files generated there before by the same generator). */
export async function ensureImageSet(dir: string): Promise<BenchImage[]> {
  await mkdir(dir, { recursive: true });
  const images: BenchImage[] = [];
  for (const [index, spec] of BENCH_IMAGES.entries()) {
    const path = join(dir, `v${GENERATOR_VERSION}-${spec.id}.${spec.format}`);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      bytes = await encode(spec, 1000 + index);
      await writeFile(path, bytes);
    }
    images.push({ ...spec, path, bytes: bytes.length, contentType: contentTypes[spec.format] });
  }
  return images;
}
