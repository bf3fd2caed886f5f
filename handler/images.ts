import sharp, { type Metadata, type OutputInfo, type Sharp } from "sharp";
import { ClientError } from "./errors.js";
import { acceptedFormats, type ImageFormat, sniffImageFormat } from "./image-formats.js";
import type { ModelInput } from "./manifest.js";
import { type ExactConvention, exactResizes, FAST_CONVENTION } from "./resize/conventions.js";
import { resizePlan } from "./resize/geometry.js";
import { FUNCTION_DEFAULTS } from "./settings.js";
import { writeImageTensor, writeResizedTensor } from "./tensor-layout.js";

export { acceptedFormats, acceptedMimeTypes, type ImageFormat, sniffImageFormat } from "./image-formats.js";
export { imageTensorLength } from "./tensor-layout.js";

/** The original image: size as displayed (after EXIF orientation) and its detected format. */
export interface DecodedImage {
  width: number;
  height: number;
  format: string;
}

export interface PreprocessOptions {
  /** Largest accepted width x height of the encoded image; checked from the header before decoding. */
  maxPixels: number;
  /**
   * Called with the image's decode cost (decodeCost) once its header is read and before any pixel is decoded; a
   * ClientError it throws becomes the image's error. The classifier's per-request pixel budget.
   */
  beforeDecode?: (cost: number) => Promise<void>;
  /**
   * Images with more pixels than this take the fast libvips path (shrink-on-load, linear kernel) even when the manifest
   * names an exact convention; default: none, every image follows the manifest.
   */
  exactResizeMaxPixels?: number;
}

/** libvips' JPEG shrink-on-load factors: the decoder itself scales by these, touching that many times fewer pixels. */
const JPEG_SHRINKS = [8, 4, 2] as const;

/** The exact convention an image of `pixels` pixels is resized with, or undefined for the fast libvips path. */
export function exactConventionFor(input: ModelInput, pixels: number, exactResizeMaxPixels = Number.POSITIVE_INFINITY): ExactConvention | undefined {
  const { convention } = input.resize;
  return convention === FAST_CONVENTION || pixels > exactResizeMaxPixels ? undefined : convention;
}

/**
 * Pixels the decoder will produce for an image, the measure of its CPU and memory cost: width x height, except that a
 * JPEG much larger than the model input shrinks on load on the fast path. The shrink is taken at half the one the
 * resize allows, so the cost is never underestimated whatever rounding libvips applies. An exact convention decodes
 * every pixel.
 */
export function decodeCost(
  width: number,
  height: number,
  format: ImageFormat,
  input: ModelInput,
  exactResizeMaxPixels?: number,
): number {
  const pixels = width * height;
  if (format !== "jpeg" || exactConventionFor(input, pixels, exactResizeMaxPixels)) return pixels;
  const target = input.resize.mode === "cover" && input.resize.shorterSide !== undefined
    ? { width: input.resize.shorterSide, height: input.resize.shorterSide }
    : input;
  const ratio = Math.min(width / target.width, height / target.height) / 2;
  const shrink = JPEG_SHRINKS.find((factor) => factor <= ratio) ?? 1;
  return Math.ceil(pixels / (shrink * shrink));
}

const sharpFormatOf: Record<ImageFormat, string> = {
  jpeg: "jpeg",
  png: "png",
  webp: "webp",
  gif: "gif",
  avif: "heif",
  tiff: "tiff",
};

const acceptedList = Object.keys(acceptedFormats).map((f) => f.toUpperCase()).join(", ");

function decodeFailure(error: unknown, format: ImageFormat, maxPixels: number): ClientError {
  const text = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(text)) {
    return new ClientError("IMAGE_TOO_LARGE", `image has more than ${maxPixels} pixels`, { cause: error });
  }
  return new ClientError("INVALID_IMAGE", `${format.toUpperCase()} image is truncated or corrupt`, { cause: error });
}

async function readHeader(bytes: Uint8Array, format: ImageFormat, maxPixels: number): Promise<Metadata> {
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes, { limitInputPixels: maxPixels }).metadata();
  } catch (error) {
    throw decodeFailure(error, format, maxPixels);
  }
  const { width, height } = metadata;
  if (!width || !height) throw new ClientError("INVALID_IMAGE", `${format.toUpperCase()} image has no dimensions`);
  if (width * height > maxPixels) {
    throw new ClientError("IMAGE_TOO_LARGE", `image is ${width}x${height} pixels; at most ${maxPixels} pixels are accepted`);
  }
  const agrees = metadata.format === sharpFormatOf[format] && (format !== "avif" || metadata.compression === "av1");
  if (!agrees) {
    throw new ClientError("UNSUPPORTED_MEDIA_TYPE", `unsupported image format; accepted: ${acceptedList}`);
  }
  return metadata;
}

/** Adds the manifest's resize step with a libvips kernel; only cover + shorterSide leaves a raster larger than the model input. */
function resized(pipeline: Sharp, input: ModelInput): Sharp {
  const { width, height, resize } = input;
  // An exact convention's image over exactResizeMaxPixels comes here too: libvips' linear kernel stands in for it.
  const kernel = resize.kernel ?? "linear";
  switch (resize.mode) {
    case "fill":
      return pipeline.resize(width, height, { fit: "fill", kernel });
    case "contain":
      return pipeline.resize(width, height, { fit: "contain", kernel, background: resize.background });
    case "cover":
      if (resize.shorterSide === undefined) {
        return pipeline.resize(width, height, { fit: "cover", position: "centre", kernel });
      }
      // Shorter side to `shorterSide`; the centre crop is taken while writing the tensor.
      return pipeline.resize(resize.shorterSide, resize.shorterSide, { fit: "outside", kernel });
  }
}

/** Resized windows up to this many values reuse one buffer (4 MB: a 224x224 window is 150,528). */
const REUSED_SCRATCH_VALUES = 1 << 20;
let scratch = new Float32Array(0);

/**
 * A buffer for one resized window. Shared by every call: the resize and the tensor write that reads it run without
 * an await between them, so no other image can take it in the meantime.
 */
function resizeScratch(length: number): Float32Array {
  if (length > REUSED_SCRATCH_VALUES) return new Float32Array(length);
  if (scratch.length < length) scratch = new Float32Array(length);
  return scratch.subarray(0, length);
}

/** Resizes a full-resolution raster with an exact convention and writes it into the tensor slot. */
function exactResizeInto(
  { data, info }: { data: Buffer; info: OutputInfo },
  convention: ExactConvention,
  input: ModelInput,
  target: Float32Array,
  offset: number,
): void {
  if (info.channels !== 3) throw new Error(`decoder produced ${info.channels} channels, expected 3`);
  const plan = resizePlan(info.width, info.height, input);
  const { window } = plan;
  const values = resizeScratch(window.width * window.height * 3);
  exactResizes[convention]({ pixels: data, width: info.width, height: info.height }, plan, values);
  const background = input.resize.mode === "contain" ? input.resize.background : ([0, 0, 0] as const);
  writeResizedTensor(
    values,
    { width: window.width, height: window.height, left: plan.placeLeft, top: plan.placeTop, background },
    input,
    target,
    offset,
  );
}

/**
 * Decodes one image and writes it into `target` at `offset` (3 x width x height floats) in the manifest's
 * layout, colour order and normalisation. Throws ClientError for anything the client sent wrong.
 */
export async function preprocessInto(
  bytes: Uint8Array,
  input: ModelInput,
  target: Float32Array,
  offset: number,
  options: PreprocessOptions = { maxPixels: FUNCTION_DEFAULTS.maxImagePixels },
): Promise<DecodedImage> {
  if (bytes.length === 0) throw new ClientError("EMPTY_IMAGE", "image is empty (0 bytes)");
  const format = sniffImageFormat(bytes);
  if (!format) throw new ClientError("UNSUPPORTED_MEDIA_TYPE", `unsupported image format; accepted: ${acceptedList}`);
  const { maxPixels } = options;
  const metadata = await readHeader(bytes, format, maxPixels);
  const { exactResizeMaxPixels } = options;
  await options.beforeDecode?.(decodeCost(metadata.width, metadata.height, format, input, exactResizeMaxPixels));

  const decoder = sharp(bytes, { failOn: "error", limitInputPixels: maxPixels, autoOrient: true, sequentialRead: true })
    .flatten({ background: input.alphaBackground })
    .toColourspace("srgb");
  const oriented = metadata.autoOrient ?? { width: metadata.width, height: metadata.height };
  const decoded = { width: oriented.width, height: oriented.height, format };
  const exact = exactConventionFor(input, metadata.width * metadata.height, exactResizeMaxPixels);
  let raster: { data: Buffer; info: OutputInfo };
  try {
    raster = await (exact ? decoder : resized(decoder, input)).raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw decodeFailure(error, format, maxPixels);
  }
  if (exact) {
    exactResizeInto(raster, exact, input, target, offset);
    return decoded;
  }
  const { data, info } = raster;
  if (info.channels !== 3 || info.width < input.width || info.height < input.height) {
    throw new Error(`decoder produced ${info.width}x${info.height}x${info.channels}, expected at least ${input.width}x${input.height}x3`);
  }
  writeImageTensor(
    {
      pixels: data,
      rowPixels: info.width,
      left: Math.floor((info.width - input.width) / 2),
      top: Math.floor((info.height - input.height) / 2),
    },
    input,
    target,
    offset,
  );
  return decoded;
}
