// Measures the inference core on this machine: ms per image for a JPEG, split into decode+preprocess and the ONNX run.
// Usage: npx tsx scripts/tools/bench/core-latency.ts [--model model] [--iterations 30] [--width 640] [--height 480] [--batch 8]
import { parseArgs } from "node:util";
import sharp, { type Sharp } from "sharp";
import { Classifier } from "../../../handler/classifier.js";
import { median } from "../../shared/stats.js";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "model" },
    iterations: { type: "string", default: "30" },
    width: { type: "string", default: "640" },
    height: { type: "string", default: "480" },
    batch: { type: "string", default: "8" },
    threads: { type: "string" },
  },
});
const iterations = Number(values.iterations);
const width = Number(values.width);
const height = Number(values.height);
const batch = Number(values.batch);

const fmt = (ms: number) => ms.toFixed(2);
/** Median and minimum: on a shared machine the minimum is the closest to the uncontended cost. */
const stats = (samples: number[]) => `median ${fmt(median(samples))} / min ${fmt(Math.min(...samples))}`;

/** A photo-like test image: smooth gradients plus mild noise, encoded as a quality-85 JPEG. */
async function photoLikeJpeg(w: number, h: number): Promise<Buffer> {
  const pixels = new Uint8Array(w * h * 3);
  let seed = 12345;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      const noise = (seed >>> 27) - 16;
      const i = (y * w + x) * 3;
      pixels[i] = Math.max(0, Math.min(255, ((x * 255) / w + noise) | 0));
      pixels[i + 1] = Math.max(0, Math.min(255, ((y * 255) / h + noise) | 0));
      pixels[i + 2] = Math.max(0, Math.min(255, (128 + 100 * Math.sin((x + y) / 40) + noise) | 0));
    }
  }
  return sharp(pixels, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

const jpeg = await photoLikeJpeg(width, height);
const loadStart = performance.now();
const classifier = await Classifier.load(values.model!, values.threads ? { threads: Number(values.threads) } : {});
const loadMs = performance.now() - loadStart;
const { input } = classifier.manifest;

const decode: number[] = [];
const inference: number[] = [];
const total: number[] = [];
for (let i = 0; i < iterations; i++) {
  const start = performance.now();
  const { timings } = await classifier.classify([jpeg], 5);
  total.push(performance.now() - start);
  decode.push(timings.decodeMs);
  inference.push(timings.inferenceMs);
}

const batchDecode: number[] = [];
const batchInference: number[] = [];
const images = Array.from({ length: batch }, () => jpeg);
for (let i = 0; i < Math.max(3, Math.floor(iterations / batch)); i++) {
  const { timings } = await classifier.classify(images, 5);
  batchDecode.push(timings.decodeMs / batch);
  batchInference.push(timings.inferenceMs / batch);
}

// Shrink-on-load (libvips decodes a JPEG at 1/2, 1/4 or 1/8 size when resizing): sharp skips it when the integer
// part of the reduction equals the load shrink (libjpeg rounding), e.g. 640x480 -> 224x224 (2.14x). It is checked
// against decoding every pixel first: different output means the reduced decode happened.
async function shrinkOnLoad(bytes: Buffer) {
  const resize = (image: Sharp) => image.resize(input.width, input.height, { fit: "fill" }).raw().toBuffer();
  const timed = async (run: () => Promise<Buffer>) => {
    const samples: number[] = [];
    let output: Buffer = Buffer.alloc(0);
    for (let i = 0; i < Math.min(iterations, 15); i++) {
      const start = performance.now();
      output = await run();
      samples.push(performance.now() - start);
    }
    return { ms: median(samples), output };
  };
  const direct = await timed(() => resize(sharp(bytes)));
  const fullDecode = await timed(async () => {
    const { data, info } = await sharp(bytes).raw().toBuffer({ resolveWithObject: true });
    return resize(sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }));
  });
  return { active: !direct.output.equals(fullDecode.output), resizeFromJpegMs: fmt(direct.ms), fullDecodeThenResizeMs: fmt(fullDecode.ms) };
}
const large = await photoLikeJpeg(width * 4, height * 4);
const shrink = {
  [`${width}x${height}`]: await shrinkOnLoad(jpeg),
  [`${width * 4}x${height * 4}`]: await shrinkOnLoad(large),
};
await classifier.dispose();

console.log(
  JSON.stringify(
    {
      model: classifier.manifest.name,
      image: `${width}x${height} JPEG q85, ${jpeg.length} bytes`,
      input: `${input.layout} ${input.width}x${input.height}`,
      iterations,
      loadMs: Number(fmt(loadMs)),
      threads: values.threads ?? "default (available CPUs)",
      singleImage: { decodePreprocessMs: stats(decode), onnxRunMs: stats(inference), totalMs: stats(total) },
      [`batchOf${batch}PerImage`]: { decodePreprocessMs: stats(batchDecode), onnxRunMs: stats(batchInference) },
      shrinkOnLoad: shrink,
    },
    null,
    2,
  ),
);
