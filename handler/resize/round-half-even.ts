/**
 * To nearest, halves to the even neighbour: Python's round() (torchvision's CenterCrop offsets) and OpenCV's cvRound
 * (SSE2's conversion in the default rounding mode). For values within the int32 range.
 */
export function roundHalfEven(value: number): number {
  const rounded = Math.round(value);
  return rounded - value === 0.5 && (rounded & 1) !== 0 ? rounded - 1 : rounded;
}
