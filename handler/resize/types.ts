/** Packed 8-bit RGB pixels, row-major, as decoded (after EXIF orientation, alpha flattening and conversion to sRGB). */
export interface RgbImage {
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
}

/** A rectangle in pixels. */
export interface PixelWindow {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * How one source image becomes the model input: the size of the whole resized image, the window of it that reaches
 * the tensor (the centre crop for cover; all of it otherwise) and where that window lands in the model input (non-zero
 * only for contain, whose margins are background).
 */
export interface ResizePlan {
  readonly resizedWidth: number;
  readonly resizedHeight: number;
  readonly window: PixelWindow;
  readonly placeLeft: number;
  readonly placeTop: number;
}

/**
 * An exact resize: writes `plan.window` of `source` resized to `plan.resizedWidth` x `plan.resizedHeight` into `out`
 * as packed RGB values on the 0..255 scale (window.width x window.height x 3, row-major). Conventions whose reference
 * works on 8-bit images (Pillow, OpenCV) write the integers their reference rounds to; TensorFlow's write the
 * unrounded interpolation.
 */
export type ExactResize = (source: RgbImage, plan: ResizePlan, out: Float32Array) => void;
