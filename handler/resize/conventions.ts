import { opencvArea, opencvLinear } from "./opencv.js";
import { pillowBicubic, pillowBilinear } from "./pillow.js";
import { tensorflowBilinear, tensorflowNearest } from "./tensorflow.js";
import type { ExactResize } from "./types.js";

/**
 * The exact resize conventions a manifest can name, each reproducing a reference implementation on the same decoded
 * pixels. "libvips" (not listed here) is the fast family: libvips' own kernels, with JPEG shrink-on-load.
 */
export const exactResizes = {
  "tensorflow-bilinear": tensorflowBilinear({ alignCorners: false, halfPixelCenters: false }),
  "tensorflow-bilinear-align-corners": tensorflowBilinear({ alignCorners: true, halfPixelCenters: false }),
  "tensorflow-bilinear-half-pixel": tensorflowBilinear({ alignCorners: false, halfPixelCenters: true }),
  "tensorflow-nearest": tensorflowNearest({ alignCorners: false, halfPixelCenters: false }),
  "tensorflow-nearest-align-corners": tensorflowNearest({ alignCorners: true, halfPixelCenters: false }),
  "tensorflow-nearest-half-pixel": tensorflowNearest({ alignCorners: false, halfPixelCenters: true }),
  "pillow-bilinear": pillowBilinear,
  "pillow-bicubic": pillowBicubic,
  "opencv-linear": opencvLinear,
  "opencv-area": opencvArea,
} as const satisfies Record<string, ExactResize>;

export type ExactConvention = keyof typeof exactResizes;

export const FAST_CONVENTION = "libvips";

export const resizeConventions = [FAST_CONVENTION, ...(Object.keys(exactResizes) as ExactConvention[])] as const;

export type ResizeConvention = typeof FAST_CONVENTION | ExactConvention;
