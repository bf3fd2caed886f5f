import type { ModelInput } from "./manifest.js";

/** Number of float values one image occupies in the model's input tensor. */
export const imageTensorLength = (input: Pick<ModelInput, "width" | "height">): number => 3 * input.width * input.height;

interface ChannelTables {
  /** value for pixel p of tensor channel c = tables[c][p], already (p * scale - mean[c]) / std[c]. */
  tables: [Float32Array, Float32Array, Float32Array];
  /** Which RGB source byte feeds tensor channel c. */
  source: [number, number, number];
  /** The same normalisation for values that are not bytes (an exact resize's): value * factor[c] + shift[c]. */
  factor: [number, number, number];
  shift: [number, number, number];
}

const tablesCache = new WeakMap<ModelInput, ChannelTables>();

/**
 * Per-channel lookup tables: 256 values each, computed once per manifest in float64 exactly as the
 * normalisation formula says, so the hot loop does no arithmetic beyond indexing; and the formula as a multiply-add
 * for values that are not bytes.
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
  const perChannel = (value: (c: 0 | 1 | 2) => number): [number, number, number] => [value(0), value(1), value(2)];
  const built: ChannelTables = {
    tables: [make(0), make(1), make(2)],
    source,
    factor: perChannel((c) => input.scale / input.std[c]),
    shift: perChannel((c) => -input.mean[c] / input.std[c]),
  };
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
  checkSlot(plane, target, offset);
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

/** Where a resized window goes in the model input: its size and its top-left corner; the rest is `background`. */
export interface PlacedWindow {
  width: number;
  height: number;
  left: number;
  top: number;
  /** RGB colour of the model input's pixels outside the window (contain's margins). */
  background: readonly [number, number, number];
}

/**
 * Writes packed RGB values on the 0..255 scale (an exact resize's output, not necessarily integers) into `target` at
 * `offset` in the manifest's layout, colour order and normalisation; pixels outside the window get the background.
 */
export function writeResizedTensor(
  values: Float32Array,
  placed: PlacedWindow,
  input: ModelInput,
  target: Float32Array,
  offset: number,
): void {
  const { width, height } = input;
  const plane = width * height;
  checkSlot(plane, target, offset);
  if (placed.left < 0 || placed.top < 0 || placed.left + placed.width > width || placed.top + placed.height > height) {
    throw new RangeError("resized window is outside the model input");
  }
  if (values.length < placed.width * placed.height * 3) throw new RangeError("resized window has too few values");
  const { source: from, factor: factors, shift: shifts } = channelTables(input);
  const nhwc = input.layout === "NHWC";
  const covered = placed.width === width && placed.height === height;
  if (covered && nhwc && input.colorOrder === "RGB") {
    writeContiguousRgb(values, factors, shifts, target, offset, 3 * plane);
    return;
  }
  for (let c = 0; c < 3; c++) {
    const sourceChannel = from[c]!;
    const factor = factors[c]!;
    const shift = shifts[c]!;
    const pixelStep = nhwc ? 3 : 1;
    const channelStart = offset + (nhwc ? c : c * plane);
    if (!covered) {
      const fill = placed.background[sourceChannel]! * factor + shift;
      for (let p = 0, at = channelStart; p < plane; p++, at += pixelStep) target[at] = fill;
    }
    for (let y = 0; y < placed.height; y++) {
      let at = channelStart + ((placed.top + y) * width + placed.left) * pixelStep;
      let value = y * placed.width * 3 + sourceChannel;
      for (let x = 0; x < placed.width; x++, at += pixelStep, value += 3) target[at] = values[value]! * factor + shift;
    }
  }
}

/** The common case in one contiguous pass: the window fills an NHWC RGB input, values already in its order. */
function writeContiguousRgb(
  values: Float32Array,
  [f0, f1, f2]: readonly [number, number, number],
  [s0, s1, s2]: readonly [number, number, number],
  target: Float32Array,
  offset: number,
  length: number,
): void {
  for (let i = 0, at = offset; i < length; i += 3, at += 3) {
    target[at] = values[i]! * f0 + s0;
    target[at + 1] = values[i + 1]! * f1 + s1;
    target[at + 2] = values[i + 2]! * f2 + s2;
  }
}

function checkSlot(plane: number, target: Float32Array, offset: number): void {
  if (offset < 0 || offset + 3 * plane > target.length) {
    throw new RangeError(`tensor slot at ${offset} (+${3 * plane}) is outside a buffer of ${target.length}`);
  }
}
