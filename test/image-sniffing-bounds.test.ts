import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { MAX_FTYP_COMPATIBLE_BRANDS, sniffImageFormat } from "../handler/image-formats.js";

/** Last byte an `ftyp` sniff may read: the box header, major brand, minor version and the capped compatible brands. */
const SNIFF_WINDOW = 16 + 4 * MAX_FTYP_COMPATIBLE_BRANDS;

/**
 * `bytes` behind a Proxy that records every byte offset read, whether by index or through `subarray` (whose range
 * counts as read), so a test can say how much of the input a function looked at without timing it.
 */
function tracked(bytes: Uint8Array): { view: Uint8Array; reads: () => number; highestOffset: () => number } {
  let reads = 0;
  let highest = -1;
  const touch = (from: number, to: number) => {
    reads += Math.max(0, to - from);
    highest = Math.max(highest, to - 1);
  };
  const view = new Proxy(bytes, {
    get(target, property) {
      if (typeof property === "string" && /^\d+$/.test(property)) {
        touch(Number(property), Number(property) + 1);
        return target[Number(property)];
      }
      if (property === "subarray") {
        return (start = 0, end = target.length) => {
          const part = target.subarray(start, end);
          touch(part.byteOffset - target.byteOffset, part.byteOffset - target.byteOffset + part.length);
          return part;
        };
      }
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { view, reads: () => reads, highestOffset: () => highest };
}

/** An ISO-BMFF file of `length` bytes whose `ftyp` box declares `boxSize` and holds the given brands. */
function ftypFile(length: number, boxSize: number, major: string, compatible: readonly string[] = []): Uint8Array {
  const bytes = new Uint8Array(length);
  new DataView(bytes.buffer).setUint32(0, boxSize);
  bytes.set(Buffer.from(`ftyp${major}\0\0\0\0${compatible.join("")}`, "latin1"), 4);
  return bytes;
}

const MB = 1024 * 1024;

describe("sniffing an ISO-BMFF ftyp box reads a bounded header", () => {
  it.each([
    ["6 MB request body", 6 * MB],
    ["20 MB S3 object", 20 * MB],
  ])("a crafted %s declaring a 4 GiB ftyp box is refused after reading at most the capped brands", (_, length) => {
    const { view, reads, highestOffset } = tracked(ftypFile(length, 0xffff_ffff, "isom", ["mif1"]));
    expect(sniffImageFormat(view)).toBeUndefined();
    expect(highestOffset()).toBeLessThan(SNIFF_WINDOW);
    expect(reads()).toBeLessThan(4 * SNIFF_WINDOW);
  });

  it("does not look for an AVIF brand past the cap, however large the declared box", () => {
    const file = ftypFile(6 * MB, 0xffff_ffff, "isom");
    file.set(Buffer.from("avif", "latin1"), 3 * MB);
    const { view, highestOffset } = tracked(file);
    expect(sniffImageFormat(view)).toBeUndefined();
    expect(highestOffset()).toBeLessThan(SNIFF_WINDOW);
  });

  it("recognises a real AVIF from sharp by reading its header only", async () => {
    const avif = await sharp({ create: { width: 8, height: 8, channels: 3, background: "red" } }).avif({ effort: 0 }).toBuffer();
    const { view, highestOffset } = tracked(avif);
    expect(sniffImageFormat(view)).toBe("avif");
    expect(highestOffset()).toBeLessThan(SNIFF_WINDOW);
  });

  it.each([
    ["avif as major brand", "avif", []],
    ["avis (image sequence) as major brand", "avis", []],
    ["avif as compatible brand", "mif1", ["miaf", "avif"]],
    ["avis as compatible brand", "msf1", ["avis"]],
    ["avif as the last brand inside the cap", "mif1", [...Array<string>(MAX_FTYP_COMPATIBLE_BRANDS - 1).fill("miaf"), "avif"]],
  ] as const)("sniffs AVIF with %s", (_, major, compatible) => {
    const boxSize = 16 + 4 * compatible.length;
    expect(sniffImageFormat(ftypFile(boxSize + 64, boxSize, major, compatible))).toBe("avif");
    expect(sniffImageFormat(ftypFile(boxSize + 64, 0xffff_ffff, major, compatible))).toBe("avif");
  });

  it.each([
    ["HEIC brands", "heic", ["mif1", "heic"], 24],
    ["avif only after the cap", "mif1", [...Array<string>(MAX_FTYP_COMPATIBLE_BRANDS).fill("miaf"), "avif"], 16 + 4 * (MAX_FTYP_COMPATIBLE_BRANDS + 1)],
    ["avif only after the declared box end", "mif1", ["miaf", "avif"], 20],
    ["a box size under 16 (only the major brand counts)", "mif1", ["avif"], 8],
  ] as const)("refuses %s", (_, major, compatible, boxSize) => {
    expect(sniffImageFormat(ftypFile(16 + 4 * compatible.length + 64, boxSize, major, compatible))).toBeUndefined();
  });
});
