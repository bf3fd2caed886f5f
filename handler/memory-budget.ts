/**
 * What one request may cost in memory, and the defaults that follow from the function's memory size. The numbers are
 * measured (SECURITY.md, "Per-request budget"); test/request-budget.test.ts holds the worst case to them.
 */

/** The worst-case request stays under this share of the function's memory; the rest is Node's and libvips' slack. */
export const MEMORY_HEADROOM = 0.6;

/** Steady RSS of an initialised environment with the default 10 MB model (measured 233–240 MB), rounded up. */
export const BASELINE_RSS_MB = 300;

/**
 * Peak memory of one decode per declared pixel at the worst formats. An exact resize convention decodes every pixel
 * and keeps the full 8-bit RGB raster for the resize: a 16-bit RGBA PNG of 6300×6300 with an EXIF rotation took
 * +377 MB (9.96 B per pixel: the rotation needs the whole 16-bit image), a GIF claiming 8000×5000 +281 MB (7.4 B). The
 * fast libvips path costs less (4.95 B per pixel at worst, the GIF; JPEG shrinks on load), but the budget holds for
 * either.
 */
export const DECODE_BYTES_PER_PIXEL = 10;

/** A request body is held as the event's string, its decoded bytes and the images cut from it. */
const BODY_COPIES = 4;

/** Most S3 objects read at once by one request (I/O-bound: more buys little and holds more memory). */
export const MAX_CONCURRENT_S3_READS = 4;

/** Lambda's own variable; a local run without it is treated like the local server's default. */
export const DEFAULT_MEMORY_MB = 2048;

export interface RequestLimits {
  maxImagePixels: number;
  maxBatchImages: number;
  maxBodyBytes: number;
  s3MaxObjectBytes: number;
  /** Whether the function reads S3 objects at all (an allowlist is set). */
  readsS3: boolean;
}

const MB = 1024 * 1024;

/** Peak memory of one image being decoded, in MB. */
export function decodePeakMb(maxImagePixels: number): number {
  return (maxImagePixels * DECODE_BYTES_PER_PIXEL) / MB;
}

/** Memory a request holds besides its decodes: the body's copies and, with S3 input, every object it read. */
function heldMb(limits: RequestLimits): number {
  const body = (BODY_COPIES * limits.maxBodyBytes) / MB;
  const objects = limits.readsS3 ? (limits.maxBatchImages * limits.s3MaxObjectBytes) / MB : 0;
  return body + objects;
}

/** Peak RSS of the worst request these limits allow with `decodes` images decoding at once, in MB. */
export function worstRequestMb(limits: RequestLimits, decodes: number): number {
  return BASELINE_RSS_MB + heldMb(limits) + decodes * decodePeakMb(limits.maxImagePixels);
}

/** Lambda allots one full vCPU per 1,769 MB of memory, up to 6 vCPUs at 10,240 MB. */
const MB_PER_VCPU = 1769;
const MAX_VCPUS = 6;

/** The vCPUs Lambda gives a memory size, rounded to whole ones and never fewer than one. */
export function vcpusForMemory(memoryMb: number): number {
  return Math.max(1, Math.min(MAX_VCPUS, Math.round(memoryMb / MB_PER_VCPU)));
}

/**
 * How many images decode at once by default: as many as the memory headroom holds (at least one), and no more than
 * the vCPUs can keep busy (a decode is CPU-bound: more at once than vCPUs + 1 only queues in libuv).
 */
export function defaultDecodeConcurrency(memoryMb: number, limits: RequestLimits): number {
  const room = memoryMb * MEMORY_HEADROOM - BASELINE_RSS_MB - heldMb(limits);
  const byMemory = Math.floor(room / decodePeakMb(limits.maxImagePixels));
  return Math.max(1, Math.min(byMemory, vcpusForMemory(memoryMb) + 1));
}

/** The smallest memory size whose headroom holds the worst request with `decodes` images decoding at once, in MB. */
export function minimumMemoryMb(limits: RequestLimits, decodes = 1): number {
  return Math.ceil(worstRequestMb(limits, decodes) / MEMORY_HEADROOM);
}

/**
 * Pixels a request may decode in all, by default: two images of the largest accepted size. Decoding is about 20–35 ms
 * of CPU per megapixel at the costly formats, so this bounds one request near 2–3 s of CPU whatever it declares.
 */
export const defaultMaxRequestPixels = (maxImagePixels: number): number => 2 * maxImagePixels;
