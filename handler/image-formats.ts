/** The image formats the service decodes, with their media types. Everything else (SVG included) is refused. */
export const acceptedFormats = {
  jpeg: "image/jpeg",
  png: "image/png",
  webp: "image/webp",
  gif: "image/gif",
  avif: "image/avif",
  tiff: "image/tiff",
} as const;

export type ImageFormat = keyof typeof acceptedFormats;

export const acceptedMimeTypes: readonly string[] = Object.values(acceptedFormats);

const ascii = (bytes: Uint8Array, start: number, length: number): string =>
  String.fromCharCode(...bytes.subarray(start, start + length));

function startsWith(bytes: Uint8Array, signature: readonly number[], at = 0): boolean {
  if (bytes.length < at + signature.length) return false;
  return signature.every((value, index) => bytes[at + index] === value);
}

/**
 * Compatible brands read from an `ftyp` box at most. The box size is client data (up to 4 GiB declared); AVIF
 * writers emit 2 to 8 brands (libavif: avif, mif1, miaf, MA1B), so 64 brands (272 bytes of box) is ample and bounds
 * the work whatever the size says. An AVIF brand beyond them is not sniffed, and the image is refused as unsupported.
 */
export const MAX_FTYP_COMPATIBLE_BRANDS = 64;

const FTYP = [0x66, 0x74, 0x79, 0x70] as const;
const AVIF_BRANDS = [
  [0x61, 0x76, 0x69, 0x66], // avif
  [0x61, 0x76, 0x69, 0x73], // avis
] as const;

const isAvifBrand = (bytes: Uint8Array, at: number): boolean => AVIF_BRANDS.some((brand) => startsWith(bytes, brand, at));

/** ISO-BMFF `ftyp` box whose major or compatible brands include an AVIF brand. */
function isAvif(bytes: Uint8Array): boolean {
  if (bytes.length < 16 || !startsWith(bytes, FTYP, 4)) return false;
  if (isAvifBrand(bytes, 8)) return true;
  const boxSize = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
  const end = Math.min(bytes.length, boxSize, 16 + 4 * MAX_FTYP_COMPATIBLE_BRANDS);
  for (let at = 16; at + 4 <= end; at += 4) if (isAvifBrand(bytes, at)) return true;
  return false;
}

/**
 * Identifies an accepted format from its magic bytes, before any decoder sees the data.
 * Returns undefined for everything else, so text formats such as SVG never reach a renderer.
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === "RIFF" && ascii(bytes, 8, 4) === "WEBP") return "webp";
  if (bytes.length >= 6 && (ascii(bytes, 0, 6) === "GIF87a" || ascii(bytes, 0, 6) === "GIF89a")) return "gif";
  if (isAvif(bytes)) return "avif";
  if (
    startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a]) ||
    startsWith(bytes, [0x49, 0x49, 0x2b, 0x00]) ||
    startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2b])
  ) {
    return "tiff";
  }
  return undefined;
}
