import { BICUBIC, BILINEAR, coefficients, PRECISION_BITS, type Coefficients, type PillowFilter } from "./pillow-coefficients.js";
import type { ExactResize, ResizePlan, RgbImage } from "./types.js";

// The sums are Pillow's int sums: Math.imul and `| 0` keep them int32 (they never overflow: at most 255 times a
// little over 2^22), which also keeps V8 on integer instructions.

/** Every fixed-point sum starts at one half, so the shift in clip8 rounds instead of truncating. */
const ROUNDING = 1 << (PRECISION_BITS - 1);

/** Pillow's clip8: the fixed-point sum shifted back to 8 bits (an arithmetic shift, so it floors) and clamped. */
function clip8(sum: number): number {
  const value = sum >> PRECISION_BITS;
  return value < 0 ? 0 : value > 255 ? 255 : value;
}

/** Pillow's `Image.resize(size, Image.BILINEAR)` on an 8-bit RGB image (box = the whole image). */
export const pillowBilinear: ExactResize = (source, plan, out) => pillowResize(BILINEAR, source, plan, out);

/** Pillow's `Image.resize(size, Image.BICUBIC)` on an 8-bit RGB image (box = the whole image, a = -0.5). */
export const pillowBicubic: ExactResize = (source, plan, out) => pillowResize(BICUBIC, source, plan, out);

/**
 * Pillow's two passes (ImagingResampleInner), limited to what `plan.window` needs: the horizontal pass into an 8-bit
 * intermediate, only for the window's columns and the source rows the vertical pass reads; then the vertical pass for
 * the window's rows. Like Pillow, a pass whose dimension keeps its size is skipped.
 */
function pillowResize(filter: PillowFilter, source: RgbImage, plan: ResizePlan, out: Float32Array): void {
  checkArguments(source, plan, out);
  const { width: sourceWidth, height: sourceHeight, pixels } = source;
  const { left, top, width, height } = plan.window;
  const needHorizontal = plan.resizedWidth !== sourceWidth;
  const needVertical = plan.resizedHeight !== sourceHeight;

  const vertical = needVertical ? coefficients(filter, sourceHeight, plan.resizedHeight, top, height) : undefined;
  if (!needHorizontal) {
    if (vertical === undefined) copyWindow(pixels, sourceWidth * 3, left * 3, top, width, height, out);
    else verticalPass(vertical, pixels, sourceWidth * 3, left * 3, 0, width, out);
    return;
  }

  // Rows are monotonic in the output position, so the first and the last window row bound the rows read.
  const firstRow = vertical === undefined ? top : vertical.first[0]!;
  const endRow = vertical === undefined ? top + height : vertical.first[height - 1]! + vertical.count[height - 1]!;
  const horizontal = coefficients(filter, sourceWidth, plan.resizedWidth, left, width);
  const intermediate = new Uint8Array((endRow - firstRow) * width * 3);
  horizontalPass(horizontal, pixels, sourceWidth * 3, firstRow, endRow, width, intermediate);
  if (vertical === undefined) copyWindow(intermediate, width * 3, 0, 0, width, height, out);
  else verticalPass(vertical, intermediate, width * 3, 0, firstRow, width, out);
}

function checkArguments(source: RgbImage, plan: ResizePlan, out: Float32Array): void {
  const { left, top, width, height } = plan.window;
  if (source.width < 1 || source.height < 1 || source.pixels.length !== source.width * source.height * 3) {
    throw new RangeError(`source pixels (${source.pixels.length} bytes) do not hold a ${source.width}x${source.height} RGB image`);
  }
  if (left < 0 || top < 0 || width < 1 || height < 1 || left + width > plan.resizedWidth || top + height > plan.resizedHeight) {
    throw new RangeError(`window ${width}x${height}+${left}+${top} is not inside the ${plan.resizedWidth}x${plan.resizedHeight} resized image`);
  }
  if (out.length < width * height * 3) throw new RangeError(`out holds ${out.length} values, the window needs ${width * height * 3}`);
}

/** Source rows `firstRow .. endRow - 1`, resampled to the window's columns, into `target` (row 0 = `firstRow`). */
function horizontalPass(
  taps: Coefficients,
  pixels: Uint8Array,
  stride: number,
  firstRow: number,
  endRow: number,
  width: number,
  target: Uint8Array,
): void {
  const { first, count, weights, taps: tapsPerColumn } = taps;
  let written = 0;
  for (let row = firstRow; row < endRow; row++) {
    const rowStart = row * stride;
    for (let column = 0; column < width; column++) {
      const n = count[column]!;
      let at = rowStart + first[column]! * 3;
      let weightAt = column * tapsPerColumn;
      let red = ROUNDING;
      let green = ROUNDING;
      let blue = ROUNDING;
      for (let x = 0; x < n; x++) {
        const weight = weights[weightAt++]!;
        red = (red + Math.imul(pixels[at]!, weight)) | 0;
        green = (green + Math.imul(pixels[at + 1]!, weight)) | 0;
        blue = (blue + Math.imul(pixels[at + 2]!, weight)) | 0;
        at += 3;
      }
      target[written] = clip8(red);
      target[written + 1] = clip8(green);
      target[written + 2] = clip8(blue);
      written += 3;
    }
  }
}

/**
 * The window's rows from `rows` (whose row 0 is source row `rowOffset`; the window's columns start at byte
 * `columnOffset` of each row) into `out`.
 */
function verticalPass(
  taps: Coefficients,
  rows: Uint8Array,
  stride: number,
  columnOffset: number,
  rowOffset: number,
  width: number,
  out: Float32Array,
): void {
  const { first, count, weights, taps: tapsPerRow } = taps;
  const rowCount = first.length;
  let written = 0;
  for (let row = 0; row < rowCount; row++) {
    const n = count[row]!;
    const weightStart = row * tapsPerRow;
    const top = (first[row]! - rowOffset) * stride + columnOffset;
    for (let column = 0; column < width; column++) {
      let at = top + column * 3;
      let red = ROUNDING;
      let green = ROUNDING;
      let blue = ROUNDING;
      for (let y = 0; y < n; y++) {
        const weight = weights[weightStart + y]!;
        red = (red + Math.imul(rows[at]!, weight)) | 0;
        green = (green + Math.imul(rows[at + 1]!, weight)) | 0;
        blue = (blue + Math.imul(rows[at + 2]!, weight)) | 0;
        at += stride;
      }
      out[written] = clip8(red);
      out[written + 1] = clip8(green);
      out[written + 2] = clip8(blue);
      written += 3;
    }
  }
}

function copyWindow(rows: Uint8Array, stride: number, columnOffset: number, firstRow: number, width: number, height: number, out: Float32Array): void {
  let written = 0;
  for (let row = firstRow; row < firstRow + height; row++) {
    const start = row * stride + columnOffset;
    for (let i = 0; i < width * 3; i++) out[written++] = rows[start + i]!;
  }
}
