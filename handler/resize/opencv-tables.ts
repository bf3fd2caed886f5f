/**
 * The coefficient tables of OpenCV 4.6's cv::resize (modules/imgproc/src/resize.cpp) for 8-bit images, restricted to
 * the output columns and rows a window needs. Float steps are float32 in OpenCV, hence the Math.fround calls; its
 * cvRound and saturate_cast round half to even.
 */

import { roundHalfEven } from "./round-half-even.js";

/** INTER_RESIZE_COEF_SCALE: the linear coefficients are 11-bit fixed point. */
export const COEF_SCALE = 2048;

/** Per output column (or row) of the window: the two source pixels and their fixed-point weights. */
export interface LinearAxis {
  readonly first: Int32Array;
  readonly second: Int32Array;
  readonly firstWeight: Int32Array;
  readonly secondWeight: Int32Array;
}

/** One term of INTER_AREA's general decimation: output index `target` takes source index `source` times `weight`. */
export interface AreaAxis {
  readonly target: Int32Array;
  readonly source: Int32Array;
  readonly weight: Float32Array;
}


/**
 * The bilinear taps of output positions `from`..`from + count - 1` on one axis, as resizeGeneric's set-up computes
 * them: `areaMode` is INTER_AREA when upscaling (its own fractions); `clampCoefficients` is the horizontal axis, where
 * a position left of the first pixel or right of the last takes that pixel alone. The vertical axis clips the row
 * indices but keeps the fraction, so an edge row is the same row weighted twice (with the vertical pass's rounding).
 */
export function linearAxis(sourceSize: number, targetSize: number, from: number, count: number, areaMode: boolean, clampCoefficients: boolean): LinearAxis {
  const inverseScale = targetSize / sourceSize;
  const scale = 1 / inverseScale;
  const first = new Int32Array(count);
  const second = new Int32Array(count);
  const firstWeight = new Int32Array(count);
  const secondWeight = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const position = from + i;
    let index: number;
    let fraction: number;
    if (areaMode) {
      index = Math.floor(position * scale);
      fraction = Math.fround(position + 1 - (index + 1) * inverseScale);
      fraction = fraction <= 0 ? 0 : Math.fround(fraction - Math.floor(fraction));
    } else {
      fraction = Math.fround((position + 0.5) * scale - 0.5);
      index = Math.floor(fraction);
      fraction = Math.fround(fraction - index);
    }
    if (clampCoefficients) {
      if (index < 0) {
        index = 0;
        fraction = 0;
      }
      if (index >= sourceSize - 1) {
        index = sourceSize - 1;
        fraction = 0;
      }
      first[i] = index;
      second[i] = Math.min(index + 1, sourceSize - 1);
    } else {
      first[i] = clampIndex(index, sourceSize);
      second[i] = clampIndex(index + 1, sourceSize);
    }
    firstWeight[i] = roundHalfEven(Math.fround(Math.fround(1 - fraction) * COEF_SCALE));
    secondWeight[i] = roundHalfEven(Math.fround(fraction * COEF_SCALE));
  }
  return { first, second, firstWeight, secondWeight };
}

/**
 * computeResizeAreaTab for output positions `from`..`from + count - 1` (targets relative to `from`): each output cell
 * [i * scale, (i + 1) * scale) takes its whole source pixels at 1/cellWidth and the partial ones at their covered part.
 */
export function areaAxis(sourceSize: number, targetSize: number, from: number, count: number): AreaAxis {
  const scale = 1 / (targetSize / sourceSize);
  const target: number[] = [];
  const source: number[] = [];
  const weight: number[] = [];
  for (let position = from; position < from + count; position++) {
    const start = position * scale;
    const end = start + scale;
    const cellWidth = Math.min(scale, sourceSize - start);
    const last = Math.min(Math.floor(end), sourceSize - 1);
    const first = Math.min(Math.ceil(start), last);
    if (first - start > 1e-3) {
      target.push(position - from);
      source.push(first - 1);
      weight.push((first - start) / cellWidth);
    }
    for (let index = first; index < last; index++) {
      target.push(position - from);
      source.push(index);
      weight.push(1 / cellWidth);
    }
    if (end - last > 1e-3) {
      target.push(position - from);
      source.push(last);
      weight.push(Math.min(Math.min(end - last, 1), cellWidth) / cellWidth);
    }
  }
  return { target: Int32Array.from(target), source: Int32Array.from(source), weight: Float32Array.from(weight) };
}

function clampIndex(index: number, size: number): number {
  return index < 0 ? 0 : index >= size ? size - 1 : index;
}
