import { BoundedCache } from "./bounded-cache.js";
import { type AreaAxis, areaAxis, type LinearAxis, linearAxis } from "./opencv-tables.js";
import { roundHalfEven } from "./round-half-even.js";
import type { ExactResize, PixelWindow, ResizePlan, RgbImage } from "./types.js";

/**
 * `cv2.resize(image, (w, h), interpolation=...)` on a uint8 RGB image, bit for bit as Debian's OpenCV 4.6.0 (x86-64,
 * SSE2 baseline, no IPP) computes it: the same special cases as cv::resize / hal::resize, the same fixed-point and
 * float32 steps and roundings. Only the output window is computed.
 */

const CHANNELS = 3;
const DBL_EPSILON = 2.220446049250313e-16;

type Kernel =
  | { readonly kind: "copy" }
  | { readonly kind: "linear"; readonly areaMode: boolean }
  | { readonly kind: "areaFast"; readonly scaleX: number; readonly scaleY: number }
  | { readonly kind: "area" };

/** The path cv::resize takes for these sizes (after its `dsize == ssize` copy and hal::resize's switches). */
function kernelFor(method: "linear" | "area", source: RgbImage, plan: ResizePlan): Kernel {
  const { width, height } = source;
  const { resizedWidth, resizedHeight } = plan;
  if (resizedWidth === width && resizedHeight === height) return { kind: "copy" };
  const scaleX = 1 / (resizedWidth / width);
  const scaleY = 1 / (resizedHeight / height);
  const integerScaleX = roundHalfEven(scaleX);
  const integerScaleY = roundHalfEven(scaleY);
  const areaFast = Math.abs(scaleX - integerScaleX) < DBL_EPSILON && Math.abs(scaleY - integerScaleY) < DBL_EPSILON;
  if (method === "linear") {
    // "in case of scale_x && scale_y is equal to 2, INTER_AREA (fast) also is equal to INTER_LINEAR"
    if (areaFast && integerScaleX === 2 && integerScaleY === 2) return { kind: "areaFast", scaleX: 2, scaleY: 2 };
    return { kind: "linear", areaMode: false };
  }
  if (scaleX >= 1 && scaleY >= 1) return areaFast ? { kind: "areaFast", scaleX: integerScaleX, scaleY: integerScaleY } : { kind: "area" };
  return { kind: "linear", areaMode: true };
}

function checkOutput(plan: ResizePlan, out: Float32Array): void {
  const needed = plan.window.width * plan.window.height * CHANNELS;
  if (out.length < needed) throw new RangeError(`output has ${out.length} values, the window needs ${needed}`);
}

function resizeWith(method: "linear" | "area"): ExactResize {
  return (source, plan, out) => {
    checkOutput(plan, out);
    const kernel = kernelFor(method, source, plan);
    switch (kernel.kind) {
      case "copy":
        return copyWindow(source, plan.window, out);
      case "linear":
        return linear(source, plan, out, kernel.areaMode);
      case "areaFast":
        return areaFast(source, plan.window, out, kernel.scaleX, kernel.scaleY);
      case "area":
        return area(source, plan, out);
    }
  };
}

/** cv2.INTER_LINEAR (exact 2x downscales take INTER_AREA's fast path, as in OpenCV). */
export const opencvLinear: ExactResize = resizeWith("linear");

/** cv2.INTER_AREA (upscaling axes take its bilinear variant, as in OpenCV). */
export const opencvArea: ExactResize = resizeWith("area");

function copyWindow(source: RgbImage, window: PixelWindow, out: Float32Array): void {
  const rowLength = window.width * CHANNELS;
  for (let y = 0; y < window.height; y++) {
    const start = ((window.top + y) * source.width + window.left) * CHANNELS;
    for (let i = 0; i < rowLength; i++) out[y * rowLength + i] = source.pixels[start + i]!;
  }
}

interface LinearTables {
  readonly columns: LinearAxis;
  readonly rows: LinearAxis;
}

const linearCache = new BoundedCache<LinearTables>(16);

function windowKey(kind: string, source: RgbImage, plan: ResizePlan): string {
  const { left, top, width, height } = plan.window;
  return `${kind}:${source.width}x${source.height}>${plan.resizedWidth}x${plan.resizedHeight}@${left},${top},${width}x${height}`;
}

/**
 * resizeGeneric_ with HResizeLinear<uchar, int, short, 2048> and VResizeLinear's uchar specialisation: each source row
 * becomes an int row (weights sum to 2048), then two int rows become a byte by ((b0 * (r0 >> 4)) >> 16) +
 * ((b1 * (r1 >> 4)) >> 16) + 2 >> 2. The SSE2 path (VResizeLinearVec_32s8u: >> 4, pack to int16, mul_hi, rounding
 * shift by 2) and the scalar tail compute that same expression, so every element follows it whatever its lane.
 */
function linear(source: RgbImage, plan: ResizePlan, out: Float32Array, areaMode: boolean): void {
  const { window } = plan;
  const tables = linearCache.get(windowKey(areaMode ? "area-bilinear" : "linear", source, plan), () => ({
    columns: linearAxis(source.width, plan.resizedWidth, window.left, window.width, areaMode, true),
    rows: linearAxis(source.height, plan.resizedHeight, window.top, window.height, areaMode, false),
  }));
  const rowLength = window.width * CHANNELS;
  let upper = new Int32Array(rowLength);
  let lower = new Int32Array(rowLength);
  let upperRow = -1;
  let lowerRow = -1;
  const { rows } = tables;
  for (let y = 0; y < window.height; y++) {
    const firstRow = rows.first[y]!;
    const secondRow = rows.second[y]!;
    if (upperRow !== firstRow) {
      if (lowerRow === firstRow) {
        [upper, lower] = [lower, upper];
        upperRow = firstRow;
        lowerRow = -1;
      } else {
        horizontalPass(source, firstRow, tables.columns, upper);
        upperRow = firstRow;
      }
    }
    if (lowerRow !== secondRow) {
      horizontalPass(source, secondRow, tables.columns, lower);
      lowerRow = secondRow;
    }
    const upperWeight = rows.firstWeight[y]!;
    const lowerWeight = rows.secondWeight[y]!;
    const base = y * rowLength;
    for (let i = 0; i < rowLength; i++) {
      out[base + i] = (((upperWeight * (upper[i]! >> 4)) >> 16) + ((lowerWeight * (lower[i]! >> 4)) >> 16) + 2) >> 2;
    }
  }
}

function horizontalPass(source: RgbImage, row: number, columns: LinearAxis, into: Int32Array): void {
  const pixels = source.pixels;
  const rowStart = row * source.width * CHANNELS;
  const { first, second, firstWeight, secondWeight } = columns;
  for (let x = 0, o = 0; x < first.length; x++, o += CHANNELS) {
    const left = rowStart + first[x]! * CHANNELS;
    const right = rowStart + second[x]! * CHANNELS;
    const a = firstWeight[x]!;
    const b = secondWeight[x]!;
    into[o] = pixels[left]! * a + pixels[right]! * b;
    into[o + 1] = pixels[left + 1]! * a + pixels[right + 1]! * b;
    into[o + 2] = pixels[left + 2]! * a + pixels[right + 2]! * b;
  }
}

/**
 * resizeAreaFast_ for an exact integer scale: the mean of each scaleX x scaleY block. The 2x2 case (ResizeAreaFastVec,
 * SIMD and scalar alike) rounds halves up, (sum + 2) >> 2; the others multiply by (float)(1 / area) and cvRound.
 */
function areaFast(source: RgbImage, window: PixelWindow, out: Float32Array, scaleX: number, scaleY: number): void {
  const pixels = source.pixels;
  const stride = source.width * CHANNELS;
  const inverseArea = Math.fround(1 / (scaleX * scaleY));
  const halvesUp = scaleX === 2 && scaleY === 2;
  let o = 0;
  for (let y = 0; y < window.height; y++) {
    const top = (window.top + y) * scaleY;
    for (let x = 0; x < window.width; x++) {
      const blockStart = top * stride + (window.left + x) * scaleX * CHANNELS;
      for (let c = 0; c < CHANNELS; c++) {
        let sum = 0;
        for (let dy = 0; dy < scaleY; dy++) {
          const rowStart = blockStart + dy * stride + c;
          for (let dx = 0; dx < scaleX; dx++) sum += pixels[rowStart + dx * CHANNELS]!;
        }
        out[o++] = halvesUp ? (sum + 2) >> 2 : Math.min(255, roundHalfEven(Math.fround(sum * inverseArea)));
      }
    }
  }
}

interface AreaTables {
  readonly columns: AreaAxis;
  /** columns.source times the channel count: byte offsets within a source row. */
  readonly columnOffsets: Int32Array;
  /** Where each window column's terms start in `columns` (one more entry than columns). */
  readonly columnStarts: Int32Array;
  readonly rows: AreaAxis;
  /** Where each window row's terms start in `rows` (one more entry than rows). */
  readonly rowStarts: Int32Array;
}

const areaCache = new BoundedCache<AreaTables>(16);

/** The index of each target's first term (the terms come grouped by target, in order), plus the end. */
function termStarts(axis: AreaAxis, targets: number): Int32Array {
  const starts = new Int32Array(targets + 1).fill(axis.target.length);
  for (let k = axis.target.length - 1; k >= 0; k--) starts[axis.target[k]!] = k;
  return starts;
}

/**
 * ResizeArea_Invoker<uchar, float>: per source row, a float32 weighted sum over each output column's terms (in table
 * order), then per output row the float32 sum of row weight x that, rounded by saturate_cast (cvRound). The column
 * sums are kept in locals rather than OpenCV's row buffer; the float32 operations and their order are the same.
 */
function area(source: RgbImage, plan: ResizePlan, out: Float32Array): void {
  const { window } = plan;
  const tables = areaCache.get(windowKey("area", source, plan), () => {
    const columns = areaAxis(source.width, plan.resizedWidth, window.left, window.width);
    const rows = areaAxis(source.height, plan.resizedHeight, window.top, window.height);
    const columnOffsets = columns.source.map((index) => index * CHANNELS);
    return { columns, columnOffsets, columnStarts: termStarts(columns, window.width), rows, rowStarts: termStarts(rows, window.height) };
  });
  const { columns, columnStarts, rows, rowStarts } = tables;
  const columnOffsets = tables.columnOffsets;
  const columnWeights = columns.weight;
  const pixels = source.pixels;
  const rowLength = window.width * CHANNELS;
  const sum = new Float32Array(rowLength);
  for (let y = 0; y < window.height; y++) {
    sum.fill(0);
    for (let k = rowStarts[y]!; k < rowStarts[y + 1]!; k++) {
      const rowStart = rows.source[k]! * source.width * CHANNELS;
      const rowWeight = rows.weight[k]!;
      let t = 0;
      for (let x = 0, o = 0; x < window.width; x++, o += CHANNELS) {
        let red = 0;
        let green = 0;
        let blue = 0;
        for (const end = columnStarts[x + 1]!; t < end; t++) {
          const s = rowStart + columnOffsets[t]!;
          const weight = columnWeights[t]!;
          red = Math.fround(red + Math.fround(pixels[s]! * weight));
          green = Math.fround(green + Math.fround(pixels[s + 1]! * weight));
          blue = Math.fround(blue + Math.fround(pixels[s + 2]! * weight));
        }
        sum[o] = sum[o]! + Math.fround(rowWeight * red);
        sum[o + 1] = sum[o + 1]! + Math.fround(rowWeight * green);
        sum[o + 2] = sum[o + 2]! + Math.fround(rowWeight * blue);
      }
    }
    const base = y * rowLength;
    for (let i = 0; i < rowLength; i++) out[base + i] = Math.min(255, Math.max(0, roundHalfEven(sum[i]!)));
  }
}
