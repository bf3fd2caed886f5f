import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { deflateSync, gzipSync } from "node:zlib";
import sharp from "sharp";
import type { ErrorCode } from "../../handler/errors.js";
import {
  animatedGif,
  avifClaiming,
  gifClaiming,
  jpegClaiming,
  jpegWithRepeatedScan,
  oneBitPng,
  pngChunk,
  pngFile,
  seededBytes,
  tiffClaiming,
  webpCanvasClaiming,
  webpClaiming,
  withBrands,
  withExifOrientation,
} from "./crafted-images.js";
import { type FunctionUrlRequest, functionUrlEvent } from "./function-url-event.js";
import { multipartBody, noisePixels } from "./test-images.js";

/** What a case must answer: exactly this status, and for errors exactly this code. */
export type Expectation =
  | {
      status: 200;
      /** Number of predictions of a single-image answer (default: the handler's default top-k). */
      predictions?: number;
      /** A batch answer: per image, "ok" or the error code of that image. */
      items?: ReadonlyArray<ErrorCode | "ok">;
      /** A non-classify route (e.g. GET /health): only the status is checked. */
      other?: true;
    }
  | { status: number; code: ErrorCode };

export interface MalformedCase {
  category: string;
  name: string;
  expected: Expectation;
  /** Builds the event at call time, so large bodies live only while their case runs. */
  event(): APIGatewayProxyEventV2;
}

export interface CorpusOptions {
  /** The handler's label count (top_k cases around the upper bound). */
  labelCount: number;
  /** The handler's MAX_BATCH_IMAGES. */
  maxBatchImages: number;
}

const ok = (extra: Omit<Extract<Expectation, { status: 200 }>, "status"> = {}): Expectation => ({ status: 200, ...extra });
const fail = (status: number, code: ErrorCode): Expectation => ({ status, code });

const post = (body: Uint8Array | string | undefined, contentType?: string, path = "/classify"): FunctionUrlRequest => ({
  method: "POST",
  path,
  headers: contentType ? { "content-type": contentType } : {},
  ...(body === undefined ? {} : { body }),
});

/** An event whose body is set verbatim (e.g. claimed base64 that is not). */
function withRawBody(request: FunctionUrlRequest, body: string, isBase64Encoded: boolean): () => APIGatewayProxyEventV2 {
  return () => {
    const event = functionUrlEvent(request);
    event.body = body;
    event.isBase64Encoded = isBase64Encoded;
    return event;
  };
}

/** The images the corpus starts from: small noise images (64x64 unless said otherwise). */
async function baseImages() {
  const size = 64;
  const pixels = noisePixels(size, size, 11);
  const raw = () => sharp(pixels, { raw: { width: size, height: size, channels: 3 } });
  const rgba = () => sharp(noisePixels(size, size * 4 / 3, 12), { raw: { width: size, height: size, channels: 4 } });
  const flat = (channels: 1 | 2) => sharp(noisePixels(size, (size * channels) / 3, 13), { raw: { width: size, height: size, channels } });
  return {
    jpeg: await raw().jpeg({ quality: 85 }).toBuffer(),
    progressiveJpeg: await raw().jpeg({ progressive: true }).toBuffer(),
    png: await raw().png().toBuffer(),
    webp: await raw().webp().toBuffer(),
    webpAlpha: await rgba().webp().toBuffer(),
    gif: await raw().gif().toBuffer(),
    avif: await raw().avif({ effort: 0 }).toBuffer(),
    tiff: await raw().tiff().toBuffer(),
    raw,
    rgba,
    flat,
  };
}

type Images = Awaited<ReturnType<typeof baseImages>>;

const svgSamples: Record<string, string> = {
  plain: '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64" fill="red"/></svg>',
  "with an XML declaration": '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>',
  "that fetches the instance metadata service":
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="8" height="8">' +
    '<image xlink:href="http://169.254.169.254/latest/meta-data/iam/security-credentials/" width="8" height="8"/></svg>',
  "that reads a local file": '<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd" width="8" height="8"/></svg>',
  "with entity expansion (billion laughs)":
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">' +
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>' +
    '<svg xmlns="http://www.w3.org/2000/svg"><text>&d;&d;&d;&d;</text></svg>',
  "with leading whitespace": '\n\n   <svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>',
};

function emptyCases(images: Images): MalformedCase[] {
  const cases: Array<[string, Expectation, () => APIGatewayProxyEventV2]> = [
    ["raw image/jpeg without a body", fail(400, "EMPTY_BODY"), () => functionUrlEvent(post(undefined, "image/jpeg"))],
    ["octet-stream with an empty body", fail(400, "EMPTY_BODY"), () => functionUrlEvent(post("", "application/octet-stream"))],
    ["an empty body marked base64", fail(400, "EMPTY_BODY"), withRawBody(post(undefined, "image/png"), "", true)],
    ["no content type, no body", fail(400, "EMPTY_BODY"), () => functionUrlEvent(post(undefined))],
    ["JSON without a body", fail(400, "EMPTY_BODY"), () => functionUrlEvent(post(undefined, "application/json"))],
    ['JSON {"image": ""}', fail(400, "EMPTY_IMAGE"), () => functionUrlEvent(post('{"image":""}', "application/json"))],
    ['JSON data: URL with no data', fail(400, "EMPTY_IMAGE"), () => functionUrlEvent(post('{"image":"data:image/png;base64,"}', "application/json"))],
    ["multipart without a body", fail(400, "EMPTY_BODY"), () => functionUrlEvent(post(undefined, "multipart/form-data; boundary=x"))],
  ];
  const result = cases.map(([name, expected, event]) => ({ category: "empty", name, expected, event }));
  result.push(formCase("empty", "an empty file part", [{ bytes: Buffer.alloc(0), type: "image/png" }], fail(400, "EMPTY_IMAGE")));
  result.push(
    formCase("empty", "an empty and a good file part", [{ bytes: Buffer.alloc(0) }, { bytes: images.png, type: "image/png" }], ok({ items: ["EMPTY_IMAGE", "ok"] })),
  );
  return result;
}

/** A multipart case; the body is built once, ahead of time (forms are small). */
function formCase(
  category: string,
  name: string,
  files: Parameters<typeof multipartBody>[0],
  expected: Expectation,
  fields: Record<string, string> = {},
): MalformedCase & { prepare: () => Promise<void> } {
  let form: { body: Buffer; contentType: string } | undefined;
  return {
    category,
    name,
    expected,
    prepare: async () => {
      form = await multipartBody(files, fields);
    },
    event: () => functionUrlEvent(post(form!.body, form!.contentType)),
  };
}

const magicNumbers: Array<{ format: string; magic: Buffer; expected: Expectation }> = [
  { format: "JPEG", magic: Buffer.from([0xff, 0xd8, 0xff, 0xe0]), expected: fail(400, "INVALID_IMAGE") },
  { format: "PNG", magic: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), expected: fail(400, "INVALID_IMAGE") },
  { format: "GIF87a", magic: Buffer.from("GIF87a", "latin1"), expected: fail(400, "INVALID_IMAGE") },
  { format: "GIF89a", magic: Buffer.from("GIF89a", "latin1"), expected: fail(400, "INVALID_IMAGE") },
  { format: "WebP", magic: Buffer.concat([Buffer.from("RIFF"), Buffer.from([0x00, 0x10, 0x00, 0x00]), Buffer.from("WEBPVP8 ")]), expected: fail(400, "INVALID_IMAGE") },
  {
    format: "AVIF ftyp",
    magic: Buffer.concat([Buffer.from([0, 0, 0, 0x1c]), Buffer.from("ftypavif\0\0\0\0avifmif1miaf", "latin1")]),
    expected: fail(400, "INVALID_IMAGE"),
  },
  {
    format: "HEIF ftyp (heic)",
    magic: Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from("ftypheic\0\0\0\0mif1heic", "latin1")]),
    expected: fail(415, "UNSUPPORTED_MEDIA_TYPE"),
  },
  { format: "TIFF (II)", magic: Buffer.from([0x49, 0x49, 0x2a, 0x00]), expected: fail(400, "INVALID_IMAGE") },
  { format: "TIFF (MM)", magic: Buffer.from([0x4d, 0x4d, 0x00, 0x2a]), expected: fail(400, "INVALID_IMAGE") },
  { format: "BMP", magic: Buffer.from("BM", "latin1"), expected: fail(415, "UNSUPPORTED_MEDIA_TYPE") },
];

function randomBehindMagic(): MalformedCase[] {
  const cases: MalformedCase[] = [];
  const lengths = [1, 16, 300, 5000];
  magicNumbers.forEach(({ format, magic, expected }, formatIndex) => {
    lengths.forEach((length, lengthIndex) => {
      const seed = formatIndex * 100 + lengthIndex + 1;
      cases.push({
        category: "random bytes behind a magic number",
        name: `${format} magic + ${length} random bytes (seed ${seed})`,
        expected,
        event: () => functionUrlEvent(post(Buffer.concat([magic, seededBytes(length, seed)]), "application/octet-stream")),
      });
    });
  });
  return cases;
}

/** Where each format's magic number ends: shorter prefixes are not recognisable as that format at all. */
const magicLength = { jpeg: 3, png: 8, webp: 12, gif: 6 } as const;

function truncations(images: Images): MalformedCase[] {
  const cases: MalformedCase[] = [];
  for (const format of ["jpeg", "png", "webp", "gif"] as const) {
    const bytes = images[format];
    const length = bytes.length;
    const cuts = new Set([1, 2, 3, 5, 8, 11, 13, 20, 33, 64, 100, 200, 400].filter((cut) => cut < length));
    for (const fraction of [0.25, 0.5, 0.75, 0.9]) cuts.add(Math.floor(length * fraction));
    for (const cut of [...cuts].sort((a, b) => a - b)) {
      cases.push({
        category: "truncated",
        name: `${format.toUpperCase()} (${length} bytes) cut to ${cut} bytes`,
        expected: cut < magicLength[format] ? fail(415, "UNSUPPORTED_MEDIA_TYPE") : fail(400, "INVALID_IMAGE"),
        event: () => functionUrlEvent(post(bytes.subarray(0, cut), `image/${format}`)),
      });
    }
  }
  return cases;
}

function bombs(images: Images, avifAlpha: Buffer, webpLossless: Buffer): MalformedCase[] {
  const tooLarge = fail(422, "IMAGE_TOO_LARGE");
  // A real deflate bomb: 7000 x 7000 grey, every scanline present, ~48 KB compressed.
  const realBomb = () => pngFile({ width: 7000, height: 7000, colorType: 0, idat: deflateSync(Buffer.alloc(7001 * 7000), { level: 9 }) });
  const list: Array<[string, Expectation, () => Buffer]> = [
    ["PNG IHDR 100000 x 100000 (correct CRC)", tooLarge, () => pngFile({ width: 100_000, height: 100_000 })],
    ["PNG IHDR 100000 x 100000 RGBA 16-bit", tooLarge, () => pngFile({ width: 100_000, height: 100_000, bitDepth: 16, colorType: 6 })],
    ["PNG IHDR 1 x 50000000", tooLarge, () => pngFile({ width: 1, height: 50_000_000 })],
    ["PNG 7000 x 7000 with every scanline deflated (49 Mpx bomb)", tooLarge, realBomb],
    ["GIF logical screen and frame 65535 x 65535", tooLarge, () => gifClaiming(65_535, 65_535)],
    ["JPEG SOF 65500 x 65500", tooLarge, () => jpegClaiming(images.jpeg, 65_500, 65_500)],
    ["progressive JPEG SOF2 65500 x 65500", tooLarge, () => jpegClaiming(images.progressiveJpeg, 65_500, 65_500)],
    ["WebP VP8 frame 16383 x 16383", tooLarge, () => webpClaiming(images.webp, 16_383, 16_383)],
    ["WebP with alpha, VP8X canvas and frame 16383 x 16383", tooLarge, () => webpClaiming(images.webpAlpha, 16_383, 16_383)],
    ["lossless WebP 16383 x 16383", tooLarge, () => webpClaiming(webpLossless, 16_383, 16_383)],
    // Decoding time, not memory: every repeated scan would walk all coefficient blocks again.
    ["progressive JPEG with one scan repeated 5000 times (scan bomb)", fail(400, "INVALID_IMAGE"), () => jpegWithRepeatedScan(images.progressiveJpeg, 5000)],
    // Headers the decoders themselves refuse as corrupt, before any pixel count: invalid, not merely too large.
    ["PNG IHDR 1 x 2147483647 (over libpng's own limit)", fail(400, "INVALID_IMAGE"), () => pngFile({ width: 1, height: 2 ** 31 - 1 })],
    ["JPEG SOF 65535 x 65535 (over libjpeg's 65500)", fail(400, "INVALID_IMAGE"), () => jpegClaiming(images.jpeg, 65_535, 65_535)],
    ["WebP VP8X canvas 100000 x 100000 over a 64 x 64 frame", fail(400, "INVALID_IMAGE"), () => webpCanvasClaiming(images.webpAlpha, 100_000, 100_000)],
    ["TIFF 100000 x 100000", tooLarge, () => tiffClaiming(100_000, 100_000)],
    ["AVIF ispe 100000 x 100000", tooLarge, () => avifClaiming(avifAlpha, 100_000, 100_000)],
  ];
  return list.map(([name, expected, bytes]) => ({
    category: "decompression bomb",
    name,
    expected,
    event: () => functionUrlEvent(post(bytes(), "application/octet-stream")),
  }));
}

async function animated(): Promise<MalformedCase[]> {
  const frames = 300;
  const webp = await sharp(noisePixels(32, 32 * frames, 21), { raw: { width: 32, height: 32 * frames, channels: 3, pageHeight: 32 } })
    .webp({ effort: 0, quality: 50 })
    .toBuffer();
  const single = (name: string, bytes: () => Buffer, type: string): MalformedCase => ({
    category: "animated",
    name,
    expected: ok(),
    event: () => functionUrlEvent(post(bytes(), type)),
  });
  return [
    single("GIF, 300 frames on a 64 x 64 screen", () => animatedGif(64, 64, 300), "image/gif"),
    // All frames would be 1000 x 1000 x 1000 = 1 Gpx, over the pixel limit; the first frame alone is 1 Mpx.
    single("GIF, 1000 frames on a 1000 x 1000 screen (first frame only)", () => animatedGif(1000, 1000, 1000), "image/gif"),
    single("WebP, 300 frames of 32 x 32 noise", () => webp, "image/webp"),
    // 300 frames on a 3000 x 3000 canvas would be 2.7 Gpx; the first frame is 9 Mpx.
    single("WebP, 300 frames with a 3000 x 3000 canvas (first frame only)", () => webpCanvasClaiming(webp, 3000, 3000), "image/webp"),
  ];
}

async function unusualButValid(images: Images): Promise<{ valid: MalformedCase[]; avifAlpha: Buffer; webpLossless: Buffer }> {
  const { raw, rgba, flat } = images;
  const avifAlpha = await rgba().avif({ effort: 0 }).toBuffer();
  const webpLossless = await rgba().webp({ lossless: true }).toBuffer();
  const unusual: Array<[string, Buffer, string]> = [
    ["16-bit RGB PNG", await raw().toColourspace("rgb16").png().toBuffer(), "image/png"],
    ["16-bit grey PNG", await raw().toColourspace("grey16").png().toBuffer(), "image/png"],
    ["palette PNG", await raw().png({ palette: true, colours: 16 }).toBuffer(), "image/png"],
    ["palette PNG with transparency", await rgba().png({ palette: true }).toBuffer(), "image/png"],
    ["1-bit grey PNG", oneBitPng(61, 47), "image/png"],
    ["interlaced (Adam7) PNG", await raw().png({ progressive: true }).toBuffer(), "image/png"],
    ["RGBA PNG", await rgba().png().toBuffer(), "image/png"],
    ["grey PNG", await flat(1).png().toBuffer(), "image/png"],
    ["grey + alpha PNG", await flat(2).png().toBuffer(), "image/png"],
    ["PNG with unknown ancillary chunks", insertChunk(images.png, [pngChunk("tEXt", Buffer.from("Comment\0hello")), pngChunk("zzZz", seededBytes(40, 5))]), "image/png"],
    ["CMYK JPEG", await raw().toColourspace("cmyk").jpeg().toBuffer(), "image/jpeg"],
    ["greyscale JPEG", await raw().toColourspace("b-w").jpeg().toBuffer(), "image/jpeg"],
    ["progressive JPEG", images.progressiveJpeg, "image/jpeg"],
    ["JPEG 4:4:4 without chroma subsampling", await raw().jpeg({ chromaSubsampling: "4:4:4" }).toBuffer(), "image/jpeg"],
    ["JPEG with a Display P3 ICC profile", await raw().withIccProfile("p3").jpeg().toBuffer(), "image/jpeg"],
    ["JPEG with bytes after the end marker", Buffer.concat([images.jpeg, seededBytes(500, 9)]), "image/jpeg"],
    ["RGBA WebP", images.webpAlpha, "image/webp"],
    ["lossless RGBA WebP", webpLossless, "image/webp"],
    ["RGBA AVIF", avifAlpha, "image/avif"],
    ["RGBA TIFF", await rgba().tiff().toBuffer(), "image/tiff"],
    ["16-bit LZW TIFF", await raw().toColourspace("rgb16").tiff({ compression: "lzw" }).toBuffer(), "image/tiff"],
    ["CMYK TIFF", await raw().toColourspace("cmyk").tiff().toBuffer(), "image/tiff"],
    ["GIF with transparency", await rgba().gif().toBuffer(), "image/gif"],
    ["1 x 1 JPEG", await sharp({ create: { width: 1, height: 1, channels: 3, background: "#808080" } }).jpeg().toBuffer(), "image/jpeg"],
    ["1 x 1 PNG", await sharp({ create: { width: 1, height: 1, channels: 4, background: "#80808080" } }).png().toBuffer(), "image/png"],
    ["3000 x 1 PNG", await sharp(noisePixels(3000, 1, 3), { raw: { width: 3000, height: 1, channels: 3 } }).png().toBuffer(), "image/png"],
    ["1 x 3000 JPEG", await sharp(noisePixels(1, 3000, 4), { raw: { width: 1, height: 3000, channels: 3 } }).jpeg().toBuffer(), "image/jpeg"],
  ];
  const valid = unusual.map(([name, bytes, type]) => ({
    category: "valid but unusual",
    name,
    expected: ok(),
    event: () => functionUrlEvent(post(bytes, type)),
  }));
  return { valid, avifAlpha, webpLossless };
}

function insertChunk(png: Buffer, chunks: Buffer[]): Buffer {
  const afterHeader = 8 + 25; // signature + IHDR
  return Buffer.concat([png.subarray(0, afterHeader), ...chunks, png.subarray(afterHeader)]);
}

async function orientations(images: Images): Promise<MalformedCase[]> {
  const wide = sharp(noisePixels(48, 32, 31), { raw: { width: 48, height: 32, channels: 3 } });
  const cases: MalformedCase[] = [];
  for (let orientation = 1; orientation <= 8; orientation++) {
    const jpeg = await wide.clone().withMetadata({ orientation }).jpeg().toBuffer();
    const webp = await wide.clone().withMetadata({ orientation }).webp().toBuffer();
    cases.push(
      { category: "EXIF orientation", name: `JPEG orientation ${orientation}`, expected: ok(), event: () => functionUrlEvent(post(jpeg, "image/jpeg")) },
      { category: "EXIF orientation", name: `WebP orientation ${orientation}`, expected: ok(), event: () => functionUrlEvent(post(webp, "image/webp")) },
    );
  }
  const tagged = await sharp(images.jpeg).withMetadata({ orientation: 1 }).jpeg().toBuffer();
  for (const value of [0, 9, 255, 65535]) {
    cases.push({
      category: "EXIF orientation",
      name: `JPEG with an out-of-range orientation ${value}`,
      expected: ok(),
      event: () => functionUrlEvent(post(withExifOrientation(tagged, value), "image/jpeg")),
    });
  }
  return cases;
}

function svgCases(images: Images): MalformedCase[] {
  const refused = fail(415, "UNSUPPORTED_MEDIA_TYPE");
  const cases: MalformedCase[] = [];
  const svg = (name: string, body: () => FunctionUrlRequest): MalformedCase => ({
    category: "SVG",
    name,
    expected: refused,
    event: () => functionUrlEvent(body()),
  });
  for (const [label, text] of Object.entries(svgSamples)) {
    cases.push(svg(`SVG ${label} as image/svg+xml`, () => post(text, "image/svg+xml")));
    cases.push(svg(`SVG ${label} as application/octet-stream`, () => post(Buffer.from(text), "application/octet-stream")));
  }
  cases.push(
    svg("SVG as image/png", () => post(Buffer.from(svgSamples.plain!), "image/png")),
    svg("SVG with a UTF-8 byte order mark", () => post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(svgSamples.plain!)]), "image/jpeg")),
    svg("gzipped SVG (svgz)", () => post(gzipSync(svgSamples.plain!), "image/svg+xml")),
    svg("gzipped SVG as octet-stream", () => post(gzipSync(svgSamples.plain!), "application/octet-stream")),
    svg("a PNG declared image/svg+xml", () => post(images.png, "image/svg+xml")),
    svg("SVG as a JSON data: URL", () => post(JSON.stringify({ image: `data:image/svg+xml;base64,${Buffer.from(svgSamples.plain!).toString("base64")}` }), "application/json")),
    svg("SVG as JSON base64", () => post(JSON.stringify({ image: Buffer.from(svgSamples.plain!).toString("base64") }), "application/json")),
  );
  cases.push(formCase("SVG", "a PNG file part declared image/svg+xml", [{ bytes: images.png, type: "image/svg+xml" }], refused));
  cases.push(formCase("SVG", "an SVG file part declared image/png", [{ bytes: Buffer.from(svgSamples.plain!), type: "image/png" }], refused));
  return cases;
}

function heicCases(avif: Buffer): MalformedCase[] {
  const refused = fail(415, "UNSUPPORTED_MEDIA_TYPE");
  const hevcItems = Buffer.from(avif.toString("latin1").replaceAll("av01", "hvc1").replaceAll("av1C", "hvcC"), "latin1");
  const list: Array<[string, () => Buffer]> = [
    ["an AVIF rebranded heic/mif1", () => withBrands(avif, "heic", ["mif1", "heic"])],
    ["an AVIF rebranded heix", () => withBrands(avif, "heix", ["mif1", "heix"])],
    ["an AVIF rebranded hevc (image sequence)", () => withBrands(avif, "hevc", ["msf1", "hevc"])],
    ["an AVIF rebranded mif1 only", () => withBrands(avif, "mif1", ["mif1", "miaf"])],
  ];
  const cases = list.flatMap(([name, bytes]) => [
    { category: "HEIC", name: `${name} as image/heic`, expected: refused, event: () => functionUrlEvent(post(bytes(), "image/heic")) },
    { category: "HEIC", name: `${name} as image/avif`, expected: refused, event: () => functionUrlEvent(post(bytes(), "image/avif")) },
  ]);
  // Forged: AVIF brands, items relabelled HEVC whose hvcC box still holds AV1 configuration bytes, so a corrupt file.
  cases.push({ category: "HEIC", name: "avif brands over HEVC-labelled items", expected: fail(400, "INVALID_IMAGE"), event: () => functionUrlEvent(post(hevcItems, "image/heic")) });
  return cases;
}

function lyingContentTypes(images: Images): MalformedCase[] {
  const cases: Array<[string, Buffer | string, string, Expectation]> = [
    ["a PNG sent as image/jpeg", images.png, "image/jpeg", ok()],
    ["a JPEG sent as image/png", images.jpeg, "image/png", ok()],
    ["a WebP sent as image/gif", images.webp, "image/gif", ok()],
    ["a GIF sent as image/avif", images.gif, "image/avif", ok()],
    ["a TIFF sent as IMAGE/JPEG", images.tiff, "IMAGE/JPEG", ok()],
    ["an AVIF sent as image/x-made-up", images.avif, "image/x-made-up", ok()],
    ["a JPEG sent as text/plain", images.jpeg, "text/plain", fail(415, "UNSUPPORTED_MEDIA_TYPE")],
    ["a JPEG sent as application/xml", images.jpeg, "application/xml", fail(415, "UNSUPPORTED_MEDIA_TYPE")],
    ["a JPEG sent as text/html", images.jpeg, "text/html", fail(415, "UNSUPPORTED_MEDIA_TYPE")],
    ["a JPEG sent as application/x-www-form-urlencoded", images.jpeg, "application/x-www-form-urlencoded", fail(415, "UNSUPPORTED_MEDIA_TYPE")],
    ["a PNG sent as application/json", images.png, "application/json", fail(400, "INVALID_JSON")],
    ["a JPEG sent as multipart/form-data", images.jpeg, "multipart/form-data; boundary=----x", fail(400, "INVALID_MULTIPART")],
    ["plain text sent as image/jpeg", "just some text, honestly", "image/jpeg", fail(415, "UNSUPPORTED_MEDIA_TYPE")],
    ["HTML sent as image/png", "<html><script>alert(1)</script></html>", "image/png", fail(415, "UNSUPPORTED_MEDIA_TYPE")],
    ["a PDF sent as image/jpeg", Buffer.from("%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"), "image/jpeg", fail(415, "UNSUPPORTED_MEDIA_TYPE")],
    ["a ZIP sent as image/png", Buffer.concat([Buffer.from("PK\x03\x04", "latin1"), seededBytes(100, 77)]), "image/png", fail(415, "UNSUPPORTED_MEDIA_TYPE")],
    ["an ELF executable sent as application/octet-stream", Buffer.concat([Buffer.from("\x7fELF", "latin1"), seededBytes(100, 78)]), "application/octet-stream", fail(415, "UNSUPPORTED_MEDIA_TYPE")],
    ["a JPEG with two content types joined (image first)", images.jpeg, "image/jpeg,text/plain", ok()],
    ["a JPEG with two content types joined (text first)", images.jpeg, "text/plain,image/jpeg", fail(415, "UNSUPPORTED_MEDIA_TYPE")],
    ["a content type of only parameters", images.jpeg, ";charset=utf-8", fail(415, "UNSUPPORTED_MEDIA_TYPE")],
  ];
  const result: MalformedCase[] = cases.map(([name, body, type, expected]) => ({
    category: "lying content type",
    name,
    expected,
    event: () => functionUrlEvent(post(body, type)),
  }));
  result.push(
    formCase("lying content type", "a JPEG file part declared image/png", [{ bytes: images.jpeg, type: "image/png" }], ok()),
    formCase("lying content type", "a PNG file part declared text/plain", [{ bytes: images.png, type: "text/plain" }], ok()),
    formCase("lying content type", "a text file part declared image/jpeg", [{ bytes: Buffer.from("hello"), type: "image/jpeg" }], fail(415, "UNSUPPORTED_MEDIA_TYPE")),
  );
  return result;
}

function invalidBase64(images: Images): MalformedCase[] {
  const good = images.png.toString("base64");
  const bad = fail(400, "INVALID_BASE64");
  const variants: Array<[string, string]> = [
    ["with a * inside", `${good.slice(0, 40)}*${good.slice(41)}`],
    ["with spaces", `${good.slice(0, 40)} ${good.slice(41)}`],
    ["wrapped every 76 characters (MIME)", (good.match(/.{1,76}/g) ?? []).join("\r\n")],
    ["in the URL-safe alphabet", good.replaceAll("+", "-").replaceAll("/", "_").replace(/^(.)/, "-")],
    ["missing its last character", good.slice(0, -1)],
    ["with padding in the middle", `AA==${good}`],
    ["of four padding characters", "===="],
    ["with a NUL character", `${good.slice(0, 8)}\u0000${good.slice(9)}`],
    ["with non-ASCII letters", `${good.slice(0, 8)}é${good.slice(9)}`],
    ["of one character", "A"],
  ];
  const cases: MalformedCase[] = [];
  for (const [label, text] of variants) {
    cases.push({
      category: "invalid base64",
      name: `a raw body marked base64 ${label}`,
      expected: bad,
      event: withRawBody(post(undefined, "image/png"), text, true),
    });
    cases.push({
      category: "invalid base64",
      name: `a JSON image ${label}`,
      expected: bad,
      event: () => functionUrlEvent(post(JSON.stringify({ image: text }), "application/json")),
    });
  }
  cases.push(
    { category: "invalid base64", name: "a data: URL without ;base64", expected: bad, event: () => functionUrlEvent(post(JSON.stringify({ image: `data:image/png,${good}` }), "application/json")) },
    { category: "invalid base64", name: "a data: URL with a broken payload", expected: bad, event: () => functionUrlEvent(post(JSON.stringify({ image: `data:image/png;base64,${good.slice(1)}` }), "application/json")) },
    {
      category: "invalid base64",
      name: "valid base64 of random bytes",
      expected: fail(415, "UNSUPPORTED_MEDIA_TYPE"),
      event: () => functionUrlEvent(post(JSON.stringify({ image: seededBytes(300, 4).toString("base64") }), "application/json")),
    },
    {
      category: "invalid base64",
      name: "a JSON body marked base64 that is not",
      expected: bad,
      event: withRawBody(post(undefined, "application/json"), '{"image": "x"}', true),
    },
    {
      category: "invalid base64",
      name: "a multipart body marked base64 that is not",
      expected: bad,
      event: withRawBody(post(undefined, "multipart/form-data; boundary=x"), "--x\r\n!!", true),
    },
  );
  return cases;
}

function jsonAbuse(images: Images, maxBatch: number): MalformedCase[] {
  const good = images.png.toString("base64");
  const invalid = fail(400, "INVALID_REQUEST");
  const nest = (depth: number, open: string, close: string, inner = "1") => open.repeat(depth) + inner + close.repeat(depth);
  const list: Array<[string, Expectation, () => string]> = [
    ["an array nested 10000 deep", invalid, () => nest(10_000, "[", "]")],
    ["an object nested 10000 deep", invalid, () => nest(10_000, '{"a":', "}")],
    ['"image" nested 10000 deep', invalid, () => `{"image":${nest(10_000, "[", "]")}}`],
    ['"images" nested 10000 deep', invalid, () => `{"images":${nest(10_000, "[", "]")}}`],
    ['"s3" nested 10000 deep', invalid, () => `{"s3":${nest(10_000, '{"bucket":', "}")}}`],
    ["an array nested 1000000 deep", invalid, () => nest(1_000_000, "[", "]")],
    ["an unterminated array 100000 deep", fail(400, "INVALID_JSON"), () => "[".repeat(100_000)],
    ['"images" with 100000 strings', fail(413, "TOO_MANY_IMAGES"), () => JSON.stringify({ images: Array(100_000).fill("") })],
    ['"images" with a million numbers', fail(413, "TOO_MANY_IMAGES"), () => `{"images":[${"0,".repeat(999_999)}0]}`],
    [`"images" with ${maxBatch + 1} good images`, fail(413, "TOO_MANY_IMAGES"), () => JSON.stringify({ images: Array(maxBatch + 1).fill(good) })],
    ["a top-level array of a million numbers", invalid, () => `[${"0,".repeat(999_999)}0]`],
    ["an object with 200000 keys", invalid, () => `{${Array.from({ length: 200_000 }, (_, i) => `"k${i}":0`).join(",")}}`],
    ['an "s3" reference with 200000 extra keys', invalid, () => `{"s3":{"bucket":"abc","key":"k",${Array.from({ length: 200_000 }, (_, i) => `"k${i}":0`).join(",")}}}`],
    ["a 4 MB string image of zero bytes", fail(415, "UNSUPPORTED_MEDIA_TYPE"), () => JSON.stringify({ image: "A".repeat(4_000_000) })],
    ['"image": 42', invalid, () => '{"image":42}'],
    ['"image": null', invalid, () => '{"image":null}'],
    ['"image": true', invalid, () => '{"image":true}'],
    ['"image": {}', invalid, () => '{"image":{}}'],
    ['"image": [base64]', invalid, () => JSON.stringify({ image: [good] })],
    ['"images": "base64"', invalid, () => JSON.stringify({ images: good })],
    ['"images": [1, null, true, {}, []]', invalid, () => '{"images":[1,null,true,{},[]]}'],
    ['"images": {"0": base64, "length": 1}', invalid, () => JSON.stringify({ images: { 0: good, length: 1 } })],
    ['"images": null', invalid, () => '{"images":null}'],
    ["the number 42", invalid, () => "42"],
    ["null", invalid, () => "null"],
    ["true", invalid, () => "true"],
    ["a JSON string", invalid, () => JSON.stringify(good)],
    ["an empty object", invalid, () => "{}"],
    ["an empty array", invalid, () => "[]"],
    ['"__proto__" carrying the image', invalid, () => `{"__proto__":{"image":"${good}"}}`],
    ['a good image plus "__proto__"', invalid, () => `{"image":"${good}","__proto__":{"polluted":true}}`],
    ['"constructor.prototype"', invalid, () => '{"constructor":{"prototype":{"polluted":true}}}'],
    ['"images" plus "__proto__": {"length"}', invalid, () => `{"images":["${good}"],"__proto__":{"length":1000}}`],
    ['"s3" with "__proto__"', invalid, () => '{"s3":{"bucket":"abc","key":"k","__proto__":{"polluted":true}}}'],
    ['"image" and an extra field', invalid, () => JSON.stringify({ image: good, top_k: 3 })],
    ['"image" given twice, the last one good', ok(), () => `{"image":"!!","image":"${good}"}`],
    ["a byte order mark before the JSON", fail(400, "INVALID_JSON"), () => `\ufeff{"image":"${good}"}`],
    ["trailing garbage after the JSON", fail(400, "INVALID_JSON"), () => `{"image":"${good}"} trailing`],
    ["NaN", fail(400, "INVALID_JSON"), () => '{"image":NaN}'],
    ["single quotes", fail(400, "INVALID_JSON"), () => "{'image':'AAAA'}"],
    ["a lone surrogate in the image", fail(400, "INVALID_BASE64"), () => '{"image":"AA\\ud800A"}'],
    ['"images": ["", ""]', ok({ items: ["EMPTY_IMAGE", "EMPTY_IMAGE"] }), () => '{"images":["",""]}'],
    ['"images": [good, "!!", truncated]', ok({ items: ["ok", "INVALID_BASE64", "INVALID_IMAGE"] }), () => JSON.stringify({ images: [good, "!!", images.png.subarray(0, 100).toString("base64")] })],
    ['an "s3" reference (no S3 source in this handler)', fail(403, "S3_ACCESS_DENIED"), () => '{"s3":{"bucket":"some-bucket","key":"photo.jpg"}}'],
    ['an "s3" reference with path traversal', fail(403, "S3_ACCESS_DENIED"), () => '{"s3":{"bucket":"..%2f..","key":"../../etc/passwd"}}'],
    ['"s3" as a URL', invalid, () => '{"s3":"http://169.254.169.254/latest/meta-data/"}'],
    ['"image" as an http URL (never fetched)', fail(400, "INVALID_BASE64"), () => '{"image":"http://169.254.169.254/latest/meta-data/"}'],
    ['"url" field', invalid, () => '{"url":"http://127.0.0.1:22/"}'],
  ];
  const cases: MalformedCase[] = list.map(([name, expected, body]) => ({
    category: "JSON abuse",
    name,
    expected,
    event: () => functionUrlEvent(post(body(), "application/json")),
  }));
  cases.push(
    {
      category: "JSON abuse",
      name: "JSON as application/vnd.api+json with a number image",
      expected: invalid,
      event: () => functionUrlEvent(post('{"image":1}', "application/vnd.api+json")),
    },
    {
      category: "JSON abuse",
      name: "UTF-16 JSON",
      expected: fail(400, "INVALID_JSON"),
      event: withRawBody(post(undefined, "application/json; charset=utf-16"), Buffer.from(`{"image":"${good}"}`, "utf16le").toString("base64"), true),
    },
  );
  return cases;
}

function rawMultipart(name: string, contentType: string, body: string | Buffer, expected: Expectation): MalformedCase {
  return { category: "multipart", name, expected, event: () => functionUrlEvent(post(body, contentType)) };
}

function multipartCases(images: Images, maxBatch: number): MalformedCase[] {
  const part = (boundary: string, headers: string, content: Buffer | string) =>
    Buffer.concat([Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`), Buffer.from(content), Buffer.from("\r\n")]);
  const fileHeaders = 'Content-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png';
  const longBoundary = "b".repeat(200);
  const cases: MalformedCase[] = [
    formCase("multipart", "a form with fields but no file", [], fail(400, "INVALID_MULTIPART"), { image: good64(images) }),
    formCase("multipart", `${maxBatch + 1} files`, Array.from({ length: maxBatch + 1 }, () => ({ bytes: images.png })), fail(413, "TOO_MANY_IMAGES")),
    formCase("multipart", "500 one-byte files", Array.from({ length: 500 }, () => ({ bytes: Buffer.from([1]) })), fail(413, "TOO_MANY_IMAGES")),
    formCase("multipart", "40 fields and a file", [{ bytes: images.png }], fail(400, "INVALID_MULTIPART"), Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`f${i}`, "x"]))),
    formCase("multipart", "a file named ../../etc/passwd", [{ bytes: images.png, filename: "../../etc/passwd", type: "image/png" }], ok()),
    formCase("multipart", "a good file and an SVG-declared one", [{ bytes: images.png }, { bytes: images.png, type: "image/svg+xml" }], ok({ items: ["ok", "UNSUPPORTED_MEDIA_TYPE"] })),
    rawMultipart("no boundary parameter", "multipart/form-data", part("x", fileHeaders, images.png), fail(400, "INVALID_MULTIPART")),
    rawMultipart("an empty boundary", "multipart/form-data; boundary=", part("x", fileHeaders, images.png), fail(400, "INVALID_MULTIPART")),
    rawMultipart(
      "a boundary that does not match the body",
      "multipart/form-data; boundary=expected",
      Buffer.concat([part("other", fileHeaders, images.png), Buffer.from("--other--\r\n")]),
      fail(400, "INVALID_MULTIPART"),
    ),
    rawMultipart(
      "a quoted boundary",
      'multipart/form-data; boundary="q q"',
      Buffer.concat([part("q q", fileHeaders, images.png), Buffer.from("--q q--\r\n")]),
      ok(),
    ),
    rawMultipart(
      "a 200-character boundary",
      `multipart/form-data; boundary=${longBoundary}`,
      Buffer.concat([part(longBoundary, fileHeaders, images.png), Buffer.from(`--${longBoundary}--\r\n`)]),
      ok(),
    ),
    rawMultipart("only the closing delimiter", "multipart/form-data; boundary=x", "--x--\r\n", fail(400, "INVALID_MULTIPART")),
    rawMultipart("no closing delimiter", "multipart/form-data; boundary=x", part("x", fileHeaders, images.png), fail(400, "INVALID_MULTIPART")),
    rawMultipart(
      "bare LF line endings",
      "multipart/form-data; boundary=x",
      Buffer.concat([Buffer.from(`--x\n${fileHeaders.replace("\r\n", "\n")}\n\n`), images.png, Buffer.from("\n--x--\n")]),
      fail(400, "INVALID_MULTIPART"),
    ),
    rawMultipart(
      "a part header of 100 KB",
      "multipart/form-data; boundary=x",
      Buffer.concat([part("x", `${fileHeaders}\r\nX-Padding: ${"p".repeat(100_000)}`, images.png), Buffer.from("--x--\r\n")]),
      fail(400, "INVALID_MULTIPART"),
    ),
    rawMultipart(
      "a part without Content-Disposition",
      "multipart/form-data; boundary=x",
      Buffer.concat([part("x", "Content-Type: image/png", images.png), Buffer.from("--x--\r\n")]),
      fail(400, "INVALID_MULTIPART"),
    ),
    rawMultipart(
      "a base64 Content-Transfer-Encoding part (not decoded)",
      "multipart/form-data; boundary=x",
      Buffer.concat([part("x", `${fileHeaders}\r\nContent-Transfer-Encoding: base64`, images.png.toString("base64")), Buffer.from("--x--\r\n")]),
      fail(415, "UNSUPPORTED_MEDIA_TYPE"),
    ),
    rawMultipart("multipart/mixed", "multipart/mixed; boundary=x", Buffer.concat([part("x", fileHeaders, images.png), Buffer.from("--x--\r\n")]), fail(415, "UNSUPPORTED_MEDIA_TYPE")),
    rawMultipart("random bytes as multipart", "multipart/form-data; boundary=x", seededBytes(2000, 61), fail(400, "INVALID_MULTIPART")),
  ];
  return cases;
}

const good64 = (images: Images) => images.png.toString("base64");

function headerCases(images: Images): MalformedCase[] {
  const withHeaders = (name: string, headers: Record<string, string | string[]>, expected: Expectation = ok(), path = "/classify"): MalformedCase => ({
    category: "headers",
    name,
    expected,
    event: () => functionUrlEvent({ method: "POST", path, headers: { "content-type": "image/png", ...headers }, body: images.png }),
  });
  return [
    withHeaders("2000 extra headers", Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`x-extra-${i}`, `value-${i}`]))),
    withHeaders("one header of 1 MB", { "x-huge": "h".repeat(1_000_000) }),
    withHeaders("a cookie header of 500 KB", { cookie: Array.from({ length: 20_000 }, (_, i) => `c${i}=${"v".repeat(16)}`).join("; ") }),
    withHeaders("a content type with 5000 parameters", { "content-type": `image/png; ${Array.from({ length: 5000 }, (_, i) => `p${i}=v`).join("; ")}` }),
    withHeaders("a content type of 100 KB", { "content-type": `image/png; x=${"y".repeat(100_000)}` }),
    withHeaders("content-type given twice", { "content-type": ["image/png", "image/jpeg"] }),
    withHeaders("header names in odd case and with odd characters", { "CoNtEnT-TyPe": "image/png", "x-ünïcödé": "☃", "x-empty": "" }),
    withHeaders("a 100 KB path", {}, fail(404, "NOT_FOUND"), `/${"p".repeat(100_000)}`),
    withHeaders("a 100 KB query string", {}, ok(), `/classify?${Array.from({ length: 10_000 }, (_, i) => `q${i}=vvvv`).join("&")}`),
    withHeaders("a path with encoded traversal", {}, fail(404, "NOT_FOUND"), "/classify/..%2f..%2fhealth"),
    {
      category: "headers",
      name: "headers set to null in the event",
      expected: ok(),
      event: () => {
        const event = functionUrlEvent({ method: "POST", path: "/classify", headers: { "content-type": "image/png" }, body: images.png });
        (event.headers as Record<string, unknown>)["x-null"] = null;
        (event.headers as Record<string, unknown>)["x-number"] = 42;
        return event;
      },
    },
  ];
}

function topKCases(images: Images, labelCount: number): MalformedCase[] {
  const badTopK = fail(400, "INVALID_TOP_K");
  const values: Array<[string, Expectation]> = [
    ["0", badTopK],
    ["-1", badTopK],
    ["1.5", badTopK],
    ["1e2", badTopK],
    ["abc", badTopK],
    ["", badTopK],
    ["0x2", badTopK],
    ["+2", badTopK],
    ["Infinity", badTopK],
    ["NaN", badTopK],
    ["２", badTopK],
    ["9999999", badTopK],
    ["100000000000000000000", badTopK],
    ["1%002", badTopK],
    ["%00", badTopK],
    [String(labelCount + 1), badTopK],
    [" 2 ", ok({ predictions: 2 })],
    ["02", ok({ predictions: 2 })],
    ["1", ok({ predictions: 1 })],
    [String(labelCount), ok({ predictions: labelCount })],
  ];
  const cases: MalformedCase[] = values.map(([value, expected]) => ({
    category: "top_k",
    name: `top_k=${JSON.stringify(value)}`,
    expected,
    event: () => functionUrlEvent(post(images.png, "image/png", `/classify?top_k=${value.includes("%") ? value : encodeURIComponent(value)}`)),
  }));
  cases.push(
    { category: "top_k", name: "top_k given twice", expected: badTopK, event: () => functionUrlEvent(post(images.png, "image/png", "/classify?top_k=1&top_k=2")) },
    { category: "top_k", name: "top_k given twice, the same value", expected: badTopK, event: () => functionUrlEvent(post(images.png, "image/png", "/classify?top_k=2&top_k=2")) },
    {
      category: "top_k",
      name: "top_k given twice in rawQueryString only",
      expected: badTopK,
      event: () => {
        const event = functionUrlEvent(post(images.png, "image/png", "/classify?top_k=1&top_k=3"));
        delete event.queryStringParameters;
        return event;
      },
    },
    { category: "top_k", name: "a bad top_k with a bad body (top_k is checked first)", expected: badTopK, event: () => functionUrlEvent(post("junk", "image/png", "/classify?top_k=x")) },
    { category: "top_k", name: "a bad top_k on GET /health (ignored)", expected: ok({ other: true }), event: () => functionUrlEvent({ method: "GET", path: "/health?top_k=-5" }) },
  );
  return cases;
}

/** Builds the whole corpus. Every case is independent; build once per suite. */
export async function buildMalformedCorpus(options: CorpusOptions): Promise<MalformedCase[]> {
  const images = await baseImages();
  const { valid, avifAlpha, webpLossless } = await unusualButValid(images);
  const cases: MalformedCase[] = [
    ...emptyCases(images),
    ...randomBehindMagic(),
    ...truncations(images),
    ...bombs(images, avifAlpha, webpLossless),
    ...(await animated()),
    ...valid,
    ...(await orientations(images)),
    ...svgCases(images),
    ...heicCases(images.avif),
    ...lyingContentTypes(images),
    ...invalidBase64(images),
    ...jsonAbuse(images, options.maxBatchImages),
    ...multipartCases(images, options.maxBatchImages),
    ...headerCases(images),
    ...topKCases(images, options.labelCount),
  ];
  for (const item of cases) await (item as Partial<ReturnType<typeof formCase>>).prepare?.();
  return cases;
}
