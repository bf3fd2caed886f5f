import { crc32, deflateSync } from "node:zlib";
import { mulberry32 } from "../../scripts/shared/prng.js";

/** Deterministic pseudo-random bytes (mulberry32), so a failing corpus case can be replayed exactly. */
export function seededBytes(length: number, seed: number): Buffer {
  const random = mulberry32(seed);
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
}

const u32be = (value: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes;
};

/** A PNG chunk with a correct CRC, so decoders get past the checksum to the part under test. */
export function pngChunk(type: string, data: Uint8Array = Buffer.alloc(0)): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, "latin1"), data]);
  return Buffer.concat([u32be(data.length), typeAndData, u32be(crc32(typeAndData))]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface PngSpec {
  width: number;
  height: number;
  bitDepth?: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  colorType?: number;
  /** Uncompressed scanlines (each with its filter byte); deflated into one IDAT. Default: a few zero bytes. */
  scanlines?: Uint8Array;
  /** An already deflated IDAT payload (for bombs whose scanlines would not fit in memory). */
  idat?: Uint8Array;
  chunksBeforeData?: Buffer[];
}

/** A PNG built chunk by chunk: any header it claims, correct CRCs throughout. */
export function pngFile(spec: PngSpec): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.width >>> 0, 0);
  ihdr.writeUInt32BE(spec.height >>> 0, 4);
  ihdr[8] = spec.bitDepth ?? 8;
  ihdr[9] = spec.colorType ?? 2;
  const idat = spec.idat ?? deflateSync(spec.scanlines ?? Buffer.alloc(16));
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk("IHDR", ihdr),
    ...(spec.chunksBeforeData ?? []),
    pngChunk("IDAT", idat),
    pngChunk("IEND"),
  ]);
}

/** A 1-bit greyscale PNG of alternating stripes: a valid image in a format few encoders write. */
export function oneBitPng(width: number, height: number): Buffer {
  const rowBytes = Math.ceil(width / 8);
  const scanlines = Buffer.alloc(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) scanlines.fill(y % 4 < 2 ? 0xaa : 0x0f, y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
  return pngFile({ width, height, bitDepth: 1, colorType: 0, scanlines });
}

/** A GIF whose logical screen and only frame claim `width` x `height` (at most 65535 each), with one pixel of data. */
export function gifClaiming(width: number, height: number): Buffer {
  const header = Buffer.from("GIF89a", "latin1");
  const screen = Buffer.alloc(7);
  screen.writeUInt16LE(width, 0);
  screen.writeUInt16LE(height, 2);
  const descriptor = Buffer.alloc(10);
  descriptor[0] = 0x2c;
  descriptor.writeUInt16LE(width, 5);
  descriptor.writeUInt16LE(height, 7);
  descriptor[9] = 0x80; // a local colour table of 2 entries
  const colours = Buffer.from([0, 0, 0, 255, 255, 255]);
  const pixels = Buffer.from([0x02, 0x02, 0x44, 0x01, 0x00]);
  return Buffer.concat([header, screen, descriptor, colours, pixels, Buffer.from([0x3b])]);
}

/**
 * An animated GIF: a `width` x `height` logical screen and `frames` frames of one pixel each. Decoding every frame
 * would mean frames x width x height pixels; decoding only the first means width x height.
 */
export function animatedGif(width: number, height: number, frames: number): Buffer {
  const screen = Buffer.alloc(7);
  screen.writeUInt16LE(width, 0);
  screen.writeUInt16LE(height, 2);
  screen[4] = 0x80; // a global colour table of 2 entries
  const parts: Buffer[] = [Buffer.from("GIF89a", "latin1"), screen, Buffer.from([0, 0, 0, 255, 255, 255])];
  parts.push(Buffer.from([0x21, 0xff, 0x0b, ...Buffer.from("NETSCAPE2.0", "latin1"), 0x03, 0x01, 0x00, 0x00, 0x00]));
  for (let frame = 0; frame < frames; frame++) {
    parts.push(Buffer.from([0x21, 0xf9, 0x04, 0x00, 0x02, 0x00, 0x00, 0x00])); // graphic control: 20 ms delay
    const descriptor = Buffer.alloc(10);
    descriptor[0] = 0x2c;
    descriptor.writeUInt16LE(frame % width, 1);
    descriptor.writeUInt16LE(1, 5);
    descriptor.writeUInt16LE(1, 7);
    parts.push(descriptor, Buffer.from([0x02, 0x02, 0x44, 0x01, 0x00]));
  }
  parts.push(Buffer.from([0x3b]));
  return Buffer.concat(parts);
}

/** An uncompressed 8-bit greyscale little-endian TIFF claiming `width` x `height`, with a few bytes of strip data. */
export function tiffClaiming(width: number, height: number): Buffer {
  const entries: Array<[tag: number, type: number, value: number]> = [
    [256, 4, width],
    [257, 4, height],
    [258, 3, 8],
    [259, 3, 1],
    [262, 3, 1],
    [273, 4, 0], // strip offset, filled in below
    [277, 3, 1],
    [278, 4, height],
    [279, 4, Math.min(width * height, 0xffffffff)],
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const dataOffset = 8 + ifdSize;
  const file = Buffer.alloc(dataOffset + 64, 0x80);
  file.write("II*\0", 0, "latin1");
  file.writeUInt32LE(8, 4);
  file.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, value], index) => {
    const at = 10 + index * 12;
    file.writeUInt16LE(tag, at);
    file.writeUInt16LE(type, at + 2);
    file.writeUInt32LE(1, at + 4);
    const stored = tag === 273 ? dataOffset : value;
    if (type === 3) file.writeUInt16LE(stored, at + 8);
    else file.writeUInt32LE(stored >>> 0, at + 8);
  });
  file.writeUInt32LE(0, 8 + 2 + entries.length * 12);
  return file;
}

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** A copy of a JPEG whose start-of-frame header claims another size (the scan data stays as it was). */
export function jpegClaiming(jpeg: Uint8Array, width: number, height: number): Buffer {
  const copy = Buffer.from(jpeg);
  let at = 2;
  while (at + 9 < copy.length && copy[at] === 0xff) {
    const marker = copy[at + 1]!;
    if (SOF_MARKERS.has(marker)) {
      copy.writeUInt16BE(height, at + 5);
      copy.writeUInt16BE(width, at + 7);
      return copy;
    }
    at += 2 + copy.readUInt16BE(at + 2);
  }
  throw new Error("no start-of-frame marker found");
}

/** Offset of a RIFF chunk's data in a WebP file. */
function webpChunk(webp: Buffer, fourcc: string): number {
  let at = 12;
  while (at + 8 <= webp.length) {
    const size = webp.readUInt32LE(at + 4);
    if (webp.toString("latin1", at, at + 4) === fourcc) return at + 8;
    at += 8 + size + (size & 1);
  }
  throw new Error(`no ${fourcc} chunk`);
}

/** Offset of a RIFF chunk's data in a WebP file, or -1. */
function findWebpChunk(webp: Buffer, fourcc: string): number {
  try {
    return webpChunk(webp, fourcc);
  } catch {
    return -1;
  }
}

/**
 * A copy of a WebP whose every size field (VP8X canvas, VP8 frame, VP8L bitstream) claims another size, consistently,
 * so the decoder believes it. Lossy frames hold at most 16383 x 16383, lossless ones 16384 x 16384.
 */
export function webpClaiming(webp: Uint8Array, width: number, height: number): Buffer {
  const copy = Buffer.from(webp);
  const extended = findWebpChunk(copy, "VP8X");
  if (extended >= 0) {
    copy.writeUIntLE(width - 1, extended + 4, 3);
    copy.writeUIntLE(height - 1, extended + 7, 3);
  }
  const lossy = findWebpChunk(copy, "VP8 ");
  if (lossy >= 0) {
    copy.writeUInt16LE(width & 0x3fff, lossy + 6);
    copy.writeUInt16LE(height & 0x3fff, lossy + 8);
  }
  const lossless = findWebpChunk(copy, "VP8L");
  if (lossless >= 0) {
    const flags = copy.readUInt32LE(lossless + 1) & 0xf0000000;
    copy.writeUInt32LE((flags | ((height - 1) << 14) | (width - 1)) >>> 0, lossless + 1);
  }
  if (extended < 0 && lossy < 0 && lossless < 0) throw new Error("no WebP size field");
  return copy;
}

/** A copy of an extended WebP (VP8X) whose canvas alone claims another size (e.g. a larger canvas for animations). */
export function webpCanvasClaiming(webp: Uint8Array, width: number, height: number): Buffer {
  const copy = Buffer.from(webp);
  const data = webpChunk(copy, "VP8X");
  copy.writeUIntLE(width - 1, data + 4, 3);
  copy.writeUIntLE(height - 1, data + 7, 3);
  return copy;
}

/** A copy of an AVIF whose `ispe` (image spatial extents) boxes claim another size. */
export function avifClaiming(avif: Uint8Array, width: number, height: number): Buffer {
  const copy = Buffer.from(avif);
  let found = 0;
  for (let at = copy.indexOf("ispe", 0, "latin1"); at >= 0; at = copy.indexOf("ispe", at + 4, "latin1")) {
    copy.writeUInt32BE(width, at + 8);
    copy.writeUInt32BE(height, at + 12);
    found++;
  }
  if (!found) throw new Error("no ispe box");
  return copy;
}

/** A copy of an ISO-BMFF file (AVIF) with the brands of its `ftyp` box replaced, same length. */
export function withBrands(file: Uint8Array, major: string, compatible: readonly string[]): Buffer {
  const copy = Buffer.from(file);
  if (copy.toString("latin1", 4, 8) !== "ftyp") throw new Error("no ftyp box first");
  const boxSize = copy.readUInt32BE(0);
  copy.write(major, 8, "latin1");
  for (let at = 16, i = 0; at + 4 <= boxSize; at += 4, i++) copy.write(compatible[i % compatible.length]!, at, "latin1");
  return copy;
}

/** A copy of a JPEG with its EXIF Orientation value overwritten (including values outside 1-8). */
export function withExifOrientation(jpeg: Uint8Array, value: number): Buffer {
  const copy = Buffer.from(jpeg);
  const bigEndian = copy.indexOf(Buffer.from([0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01]));
  if (bigEndian >= 0) {
    copy.writeUInt16BE(value, bigEndian + 8);
    return copy;
  }
  const littleEndian = copy.indexOf(Buffer.from([0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00]));
  if (littleEndian < 0) throw new Error("no EXIF Orientation tag");
  copy.writeUInt16LE(value, littleEndian + 8);
  return copy;
}

/** A copy of a progressive JPEG with its first scan after the DC scans repeated `copies` times (a "scan bomb"). */
export function jpegWithRepeatedScan(jpeg: Uint8Array, copies: number): Buffer {
  const bytes = Buffer.from(jpeg);
  const scans: Array<[start: number, end: number]> = [];
  let at = 2;
  while (at + 4 <= bytes.length && bytes[at] === 0xff && bytes[at + 1] !== 0xd9) {
    const marker = bytes[at + 1]!;
    const segmentEnd = at + 2 + bytes.readUInt16BE(at + 2);
    if (marker !== 0xda) {
      at = segmentEnd;
      continue;
    }
    // Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor a restart marker.
    let end = segmentEnd;
    while (end + 1 < bytes.length && !(bytes[end] === 0xff && bytes[end + 1] !== 0 && (bytes[end + 1]! < 0xd0 || bytes[end + 1]! > 0xd7))) end++;
    scans.push([at, end]);
    at = end;
  }
  const scan = scans[1];
  if (!scan) throw new Error("not a progressive JPEG (fewer than two scans)");
  const repeated = bytes.subarray(scan[0], scan[1]);
  return Buffer.concat([bytes.subarray(0, scan[1]), ...Array<Buffer>(copies).fill(repeated), bytes.subarray(scan[1])]);
}
