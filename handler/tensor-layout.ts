import type { ModelInput } from "./manifest.js";

/** Number of float values one image occupies in the model's input tensor. */
export const imageTensorLength = (input: Pick<ModelInput, "width" | "height">): number => 3 * input.width * input.height;

interface ChannelTables {
  /** value for pixel p of tensor channel c = tables[c][p], already (p * scale - mean[c]) / std[c]. */
  tables: [Float32Array, Float32Array, Float32Array];
  /** Which RGB source byte feeds tensor channel c. */
  source: [number, number, number];
}

const tablesCache = new WeakMap<ModelInput, ChannelTables>();

/**
 * Per-channel lookup tables: 256 values each, computed once per manifest in float64 exactly as the
 * normalisation formula says, so the hot loop does no arithmetic beyond indexing.
 */
function channelTables(input: ModelInput): ChannelTables {
  const cached = tablesCache.get(input);
  if (cached) return cached;
  const source: [number, number, number] = input.colorOrder === "BGR" ? [2, 1, 0] : [0, 1, 2];
  const make = (c: 0 | 1 | 2): Float32Array => {
    const table = new Float32Array(256);
    for (let p = 0; p < 256; p++) table[p] = (p * input.scale - input.mean[c]) / input.std[c];
    return table;
  };
  const built: ChannelTables = { tables: [make(0), make(1), make(2)], source };
  tablesCache.set(input, built);
  return built;
}

/** A window of packed 8-bit RGB pixels: `width` x `height` starting at (left, top) of a raster `rowPixels` wide. */
export interface RgbWindow {
  pixels: Uint8Array;
  rowPixels: number;
  left: number;
  top: number;
}

/**
 * Writes one image into `target` at `offset` in the manifest's layout, colour order and normalisation,
 * in a single pass over the pixels.
 */
export function writeImageTensor(source: RgbWindow, input: ModelInput, target: Float32Array, offset: number): void {
  const { width, height } = input;
  const plane = width * height;
  if (offset < 0 || offset + 3 * plane > target.length) {
    throw new RangeError(`tensor slot at ${offset} (+${3 * plane}) is outside a buffer of ${target.length}`);
  }
  const { pixels, rowPixels, left, top } = source;
  if (left + width > rowPixels || (top + height) * rowPixels * 3 > pixels.length) {
    throw new RangeError("pixel window is outside the decoded raster");
  }
  const { tables, source: from } = channelTables(input);
  const [t0, t1, t2] = tables;
  const [s0, s1, s2] = from;

  let out = offset;
  if (input.layout === "NHWC") {
    for (let y = 0; y < height; y++) {
      let at = ((top + y) * rowPixels + left) * 3;
      for (let x = 0; x < width; x++, at += 3, out += 3) {
        target[out] = t0[pixels[at + s0]!]!;
        target[out + 1] = t1[pixels[at + s1]!]!;
        target[out + 2] = t2[pixels[at + s2]!]!;
      }
    }
  } else {
    for (let y = 0; y < height; y++) {
      let at = ((top + y) * rowPixels + left) * 3;
      for (let x = 0; x < width; x++, at += 3, out++) {
        target[out] = t0[pixels[at + s0]!]!;
        target[out + plane] = t1[pixels[at + s1]!]!;
        target[out + 2 * plane] = t2[pixels[at + s2]!]!;
      }
    }
  }
}
