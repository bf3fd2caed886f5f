import { roundHalfEven } from "./round-half-even.js";
import type { ResizePlan } from "./types.js";

/** What the geometry needs of a manifest's input: the model's input size and the resize mode. */
export interface ResizeTarget {
  readonly width: number;
  readonly height: number;
  readonly resize:
    | { readonly mode: "fill" }
    | { readonly mode: "cover"; readonly shorterSide?: number | undefined }
    | { readonly mode: "contain" };
}


/**
 * torchvision's `Resize(size)` for an int size: the shorter side becomes `size`, the longer `int(size * long / short)`
 * (truncated, as torchvision's _compute_resized_output_size does).
 */
export function shorterSideTo(size: number, width: number, height: number): { width: number; height: number } {
  if (width <= height) return { width: size, height: Math.trunc((size * height) / width) };
  return { width: Math.trunc((size * width) / height), height: size };
}

/** torchvision's `CenterCrop`: offsets `int(round((resized - crop) / 2.0))`. */
function centreCrop(resizedWidth: number, resizedHeight: number, width: number, height: number): ResizePlan {
  return {
    resizedWidth,
    resizedHeight,
    window: {
      left: roundHalfEven((resizedWidth - width) / 2),
      top: roundHalfEven((resizedHeight - height) / 2),
      width,
      height,
    },
    placeLeft: 0,
    placeTop: 0,
  };
}

/**
 * The geometry of the exact resize conventions for a `sourceWidth` x `sourceHeight` image:
 * - fill: straight to the model's size, aspect ratio not kept;
 * - cover with shorterSide: torchvision's `Resize(shorterSide)` then `CenterCrop(height, width)`;
 * - cover without shorterSide: the same with the side that governs the scale set to the model's size, so a square
 *   model of size S is exactly `Resize(S)` + `CenterCrop(S)`;
 * - contain: the whole image scaled to fit (the fitted side to the model's size, the other rounded), centred, with
 *   background margins (left and top margins take the smaller half).
 */
export function resizePlan(sourceWidth: number, sourceHeight: number, target: ResizeTarget): ResizePlan {
  const { width, height, resize } = target;
  switch (resize.mode) {
    case "fill":
      return { resizedWidth: width, resizedHeight: height, window: { left: 0, top: 0, width, height }, placeLeft: 0, placeTop: 0 };
    case "cover": {
      if (resize.shorterSide !== undefined) {
        const resized = shorterSideTo(resize.shorterSide, sourceWidth, sourceHeight);
        return centreCrop(resized.width, resized.height, width, height);
      }
      const widthGoverns = width * sourceHeight >= height * sourceWidth;
      const resizedWidth = widthGoverns ? width : Math.max(width, Math.trunc((height * sourceWidth) / sourceHeight));
      const resizedHeight = widthGoverns ? Math.max(height, Math.trunc((width * sourceHeight) / sourceWidth)) : height;
      return centreCrop(resizedWidth, resizedHeight, width, height);
    }
    case "contain": {
      const widthGoverns = width * sourceHeight <= height * sourceWidth;
      const resizedWidth = widthGoverns ? width : clamp(Math.round((height * sourceWidth) / sourceHeight), 1, width);
      const resizedHeight = widthGoverns ? clamp(Math.round((width * sourceHeight) / sourceWidth), 1, height) : height;
      return {
        resizedWidth,
        resizedHeight,
        window: { left: 0, top: 0, width: resizedWidth, height: resizedHeight },
        placeLeft: Math.floor((width - resizedWidth) / 2),
        placeTop: Math.floor((height - resizedHeight) / 2),
      };
    }
  }
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
