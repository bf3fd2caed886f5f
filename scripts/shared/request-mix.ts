import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";

/** One kind of request the load test sends, and the only status it may get back. */
export interface MixedRequest {
  name: string;
  method: "GET" | "POST";
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  expectedStatus: number;
  /** Images the handler decodes and classifies for this request. */
  images: number;
}

function noise(width: number, height: number, seed: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < pixels.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    pixels[i] = state >>> 24;
  }
  return pixels;
}

const jpegOf = (size: number, seed: number) =>
  sharp(noise(size, size, seed), { raw: { width: size, height: size, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();

function multipart(files: Buffer[], boundary: string): Buffer {
  const parts = files.map((file, i) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${i}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
      file,
      Buffer.from("\r\n"),
    ]),
  );
  return Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]);
}

/** A PNG header claiming 100000 x 100000 pixels (correct CRC): a decompression bomb refused from its header. */
function pngBomb(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100_000, 0);
  ihdr.writeUInt32BE(100_000, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.alloc(64))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

export interface RequestMix {
  requests: MixedRequest[];
  /** Sizes of the encoded test images, for the report. */
  imageBytes: Record<string, number>;
}

/**
 * The requests of the load test, valid and invalid interleaved: small JPEGs (64x64 and 224x224) as raw bodies,
 * JSON and multipart, info routes, and client mistakes that must each get their own 4xx.
 */
export async function buildRequestMix(): Promise<RequestMix> {
  const small = await jpegOf(64, 1);
  const smallOther = await jpegOf(64, 2);
  const model = await jpegOf(224, 3);
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>');
  const boundary = "load-test-boundary";
  const jpeg = { "content-type": "image/jpeg" };
  const json = { "content-type": "application/json" };
  const requests: MixedRequest[] = [
    { name: "raw 64x64 JPEG", method: "POST", path: "/classify", headers: jpeg, body: small, expectedStatus: 200, images: 1 },
    { name: "truncated JPEG", method: "POST", path: "/classify", headers: jpeg, body: small.subarray(0, small.length >> 1), expectedStatus: 400, images: 1 },
    { name: "raw 224x224 JPEG, top_k=2", method: "POST", path: "/classify?top_k=2", headers: jpeg, body: model, expectedStatus: 200, images: 1 },
    { name: "SVG", method: "POST", path: "/classify", headers: { "content-type": "image/svg+xml" }, body: svg, expectedStatus: 415, images: 0 },
    { name: "GET /health", method: "GET", path: "/health", headers: {}, expectedStatus: 200, images: 0 },
    { name: "JSON base64 64x64 JPEG", method: "POST", path: "/", headers: json, body: Buffer.from(JSON.stringify({ image: smallOther.toString("base64") })), expectedStatus: 200, images: 1 },
    { name: "top_k=0", method: "POST", path: "/classify?top_k=0", headers: jpeg, body: small, expectedStatus: 400, images: 0 },
    { name: "PNG header claiming 100000x100000", method: "POST", path: "/classify", headers: { "content-type": "image/png" }, body: pngBomb(), expectedStatus: 422, images: 0 },
    { name: "multipart, two 64x64 JPEGs", method: "POST", path: "/classify", headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, body: multipart([small, smallOther], boundary), expectedStatus: 200, images: 2 },
    { name: "GET /classify", method: "GET", path: "/classify", headers: {}, expectedStatus: 405, images: 0 },
    { name: "invalid JSON", method: "POST", path: "/classify", headers: json, body: Buffer.from('{"image": '), expectedStatus: 400, images: 0 },
    { name: "unknown path", method: "POST", path: "/predict", headers: jpeg, body: small, expectedStatus: 404, images: 0 },
    { name: "raw 64x64 JPEG again", method: "POST", path: "/classify", headers: jpeg, body: smallOther, expectedStatus: 200, images: 1 },
    { name: "17 images", method: "POST", path: "/classify", headers: json, body: Buffer.from(JSON.stringify({ images: Array(17).fill("AAAA") })), expectedStatus: 413, images: 0 },
    { name: "empty body", method: "POST", path: "/classify", headers: jpeg, expectedStatus: 400, images: 0 },
    { name: "GET /model", method: "GET", path: "/model", headers: {}, expectedStatus: 200, images: 0 },
  ];
  return { requests, imageBytes: { "64x64 JPEG": small.length, "224x224 JPEG": model.length } };
}
