import type { ExactResize, ResizePlan, RgbImage } from "./types.js";

/** TensorFlow's sampling-grid options, as `tf.image.resizeBilinear(images, size, alignCorners, halfPixelCenters)`. */
export interface TensorflowGrid {
  readonly alignCorners: boolean;
  readonly halfPixelCenters: boolean;
}

/** The ratio TensorFlow maps output to input coordinates with (tfjs-backend-cpu's effective size ratio). */
function sizeRatio(inSize: number, outSize: number, grid: TensorflowGrid): number {
  return grid.alignCorners && outSize > 1 ? (inSize - 1) / (outSize - 1) : inSize / outSize;
}

/** Source coordinate of output index `out`, before flooring. */
function sourceCoordinate(ratio: number, out: number, grid: TensorflowGrid): number {
  return grid.halfPixelCenters ? ratio * (out + 0.5) - 0.5 : ratio * out;
}

interface LinearTaps {
  lower: Int32Array;
  upper: Int32Array;
  fraction: Float64Array;
}

/** For `count` outputs from `first`: the two source indices and the weight of the upper one (tfjs's exact formulas). */
function linearTaps(inSize: number, outSize: number, first: number, count: number, grid: TensorflowGrid): LinearTaps {
  const ratio = sizeRatio(inSize, outSize, grid);
  const taps = { lower: new Int32Array(count), upper: new Int32Array(count), fraction: new Float64Array(count) };
  for (let i = 0; i < count; i++) {
    const source = sourceCoordinate(ratio, first + i, grid);
    const lower = Math.max(0, Math.floor(source));
    taps.lower[i] = lower;
    taps.upper[i] = Math.min(inSize - 1, Math.ceil(source));
    taps.fraction[i] = source - lower;
  }
  return taps;
}

function checkGrid(grid: TensorflowGrid): void {
  if (grid.alignCorners && grid.halfPixelCenters) {
    throw new RangeError("TensorFlow resize: alignCorners and halfPixelCenters cannot both be true");
  }
}

/**
 * `tf.image.resizeBilinear` as tfjs's CPU backend computes it: two taps per axis, no antialiasing, the interpolation
 * in double precision stored as float32.
 */
export function tensorflowBilinear(grid: TensorflowGrid): ExactResize {
  checkGrid(grid);
  return (source: RgbImage, plan: ResizePlan, out: Float32Array): void => {
    const { window } = plan;
    const rows = linearTaps(source.height, plan.resizedHeight, window.top, window.height, grid);
    const columns = linearTaps(source.width, plan.resizedWidth, window.left, window.width, grid);
    const { pixels } = source;
    const stride = source.width * 3;
    const { lower: leftColumns, upper: rightColumns, fraction: columnFractions } = columns;
    let at = 0;
    for (let y = 0; y < window.height; y++) {
      const topRow = rows.lower[y]! * stride;
      const bottomRow = rows.upper[y]! * stride;
      const rowFraction = rows.fraction[y]!;
      for (let x = 0; x < window.width; x++) {
        const left = leftColumns[x]! * 3;
        const right = rightColumns[x]! * 3;
        const columnFraction = columnFractions[x]!;
        out[at++] = lerp2(pixels, topRow + left, topRow + right, bottomRow + left, bottomRow + right, columnFraction, rowFraction);
        out[at++] = lerp2(pixels, topRow + left + 1, topRow + right + 1, bottomRow + left + 1, bottomRow + right + 1, columnFraction, rowFraction);
        out[at++] = lerp2(pixels, topRow + left + 2, topRow + right + 2, bottomRow + left + 2, bottomRow + right + 2, columnFraction, rowFraction);
      }
    }
  };
}

/** tfjs's bilinear expression for one value, in its order of operations (small enough for V8 to inline). */
function lerp2(pixels: Uint8Array, tl: number, tr: number, bl: number, br: number, columnFraction: number, rowFraction: number): number {
  const topLeft = pixels[tl]!;
  const bottomLeft = pixels[bl]!;
  const top = topLeft + (pixels[tr]! - topLeft) * columnFraction;
  const bottom = bottomLeft + (pixels[br]! - bottomLeft) * columnFraction;
  return top + (bottom - top) * rowFraction;
}

/** Source index of each of `count` outputs from `first` (tfjs's nearest-neighbour rounding). */
function nearestIndices(inSize: number, outSize: number, first: number, count: number, grid: TensorflowGrid): Int32Array {
  const ratio = sizeRatio(inSize, outSize, grid);
  const indices = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const source = grid.halfPixelCenters ? ratio * (first + i + 0.5) : ratio * (first + i);
    const nearest = Math.min(inSize - 1, grid.alignCorners ? Math.round(source) : Math.floor(source));
    indices[i] = grid.halfPixelCenters ? Math.max(0, nearest) : nearest;
  }
  return indices;
}

/** `tf.image.resizeNearestNeighbor` as tfjs's CPU backend computes it. */
export function tensorflowNearest(grid: TensorflowGrid): ExactResize {
  checkGrid(grid);
  return (source: RgbImage, plan: ResizePlan, out: Float32Array): void => {
    const { window } = plan;
    const rows = nearestIndices(source.height, plan.resizedHeight, window.top, window.height, grid);
    const columns = nearestIndices(source.width, plan.resizedWidth, window.left, window.width, grid);
    const { pixels } = source;
    const stride = source.width * 3;
    let at = 0;
    for (let y = 0; y < window.height; y++) {
      const row = rows[y]! * stride;
      for (let x = 0; x < window.width; x++) {
        const from = row + columns[x]! * 3;
        out[at++] = pixels[from]!;
        out[at++] = pixels[from + 1]!;
        out[at++] = pixels[from + 2]!;
      }
    }
  };
}
