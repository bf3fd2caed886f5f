import sharp from "sharp";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler, type FunctionUrlHandler } from "../handler/app.js";
import { Classifier, type Prediction } from "../handler/classifier.js";
import { loadConfig } from "../handler/config.js";
import { type ErrorCode, errorStatus, SERVER_ENTRY_CODES } from "../handler/errors.js";
import { acceptedFormats, type ImageFormat } from "../handler/image-formats.js";
import { Telemetry } from "../handler/telemetry.js";
import { type FunctionUrlRequest, functionUrlEvent, lambdaContext } from "./support/function-url-event.js";
import { type CallResult, callHandler, postImage, postJson } from "./support/handler-calls.js";
import { imageFormats, multipartBody, testImage } from "./support/test-images.js";

// A request may decode 1 megapixel here, so one ordinary image can exceed it (TOO_MANY_PIXELS).
const config = loadConfig({ ...process.env, MODEL_DIR: undefined, TOP_K_DEFAULT: "3", MAX_REQUEST_PIXELS: "1e6" });
let classifier: Classifier;
let handler: FunctionUrlHandler;
let labelCount: number;
const images = {} as Record<ImageFormat, Buffer>;
/** Predictions over all labels for each format, from the raw-body route; other routes must give the same. */
const expected = {} as Record<ImageFormat, Prediction[]>;

beforeAll(async () => {
  classifier = await Classifier.load(config.modelDir, {
    threads: 1,
    maxPixels: config.maxImagePixels,
    maxRequestPixels: config.maxRequestPixels,
    decodeConcurrency: config.maxConcurrentDecodes,
    warmup: false,
  });
  handler = createHandler({ config, classifier, telemetry: new Telemetry(config), initializationType: "on-demand" });
  labelCount = classifier.manifest.labels.length;
  for (const [index, format] of imageFormats.entries()) images[format] = await testImage(format, 48, 32, index + 1);
  for (const format of imageFormats) {
    expected[format] = (await postImage(handler, images[format], acceptedFormats[format], allLabels())).json.predictions;
  }
});

afterAll(async () => {
  await classifier?.dispose();
});

const allLabels = () => `/classify?top_k=${labelCount}`;

function expectDistribution(predictions: Prediction[]): void {
  expect(predictions).toHaveLength(labelCount);
  expect(new Set(predictions.map((p) => p.label))).toEqual(new Set(classifier.manifest.labels));
  const sum = predictions.reduce((total, p) => total + p.score, 0);
  expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
  for (let i = 1; i < predictions.length; i++) expect(predictions[i - 1]!.score).toBeGreaterThanOrEqual(predictions[i]!.score);
}

function expectSuccess(result: CallResult): void {
  expect(result.status, JSON.stringify(result.json)).toBe(200);
  expect(result.headers["content-type"]).toBe("application/json");
  expect(result.json.model).toEqual({ name: classifier.manifest.name, version: classifier.manifest.version });
  const { decodeMs, inferenceMs, totalMs } = result.json.timings;
  for (const ms of [decodeMs, inferenceMs, totalMs]) expect(ms).toBeGreaterThanOrEqual(0);
  expect(totalMs).toBeGreaterThanOrEqual(decodeMs);
  expect(result.headers["server-timing"]).toBe(`decode;dur=${decodeMs}, inference;dur=${inferenceMs}, total;dur=${totalMs}`);
}

describe("POST /classify with one image", () => {
  it.each(imageFormats)("classifies a raw %s body over all labels; the scores sum to 1", async (format) => {
    const result = await postImage(handler, images[format], acceptedFormats[format], allLabels());
    expectSuccess(result);
    expectDistribution(result.json.predictions);
    expect(result.json.predictions).toEqual(expected[format]);
  });

  it("gives each image its own predictions", () => {
    expectDistribution(expected.jpeg);
    expect(expected.jpeg).not.toEqual(expected.png);
  });

  it("answers POST / like POST /classify, for application/octet-stream and without a content type", async () => {
    const octet = await postImage(handler, images.png, "application/octet-stream", `/?top_k=${labelCount}`);
    expectSuccess(octet);
    expect(octet.json.predictions).toEqual(expected.png);
    const untyped = await callHandler(handler, { method: "POST", path: allLabels(), body: images.png });
    expect(untyped.json.predictions).toEqual(expected.png);
  });

  it("accepts one file as multipart/form-data and answers with predictions, not results", async () => {
    const form = await multipartBody([{ bytes: images.webp, type: "image/webp", filename: "photo.webp" }], { note: "ignored" });
    const result = await postImage(handler, form.body, form.contentType, allLabels());
    expectSuccess(result);
    expect(result.json.results).toBeUndefined();
    expect(result.json.predictions).toEqual(expected.webp);
  });

  it('accepts {"image": base64} JSON, also as a data: URL and as a base64-encoded event body', async () => {
    const base64 = images.gif.toString("base64");
    const plain = await postJson(handler, { image: base64 }, allLabels());
    expectSuccess(plain);
    expect(plain.json.predictions).toEqual(expected.gif);

    const dataUrl = await postJson(handler, { image: `data:image/gif;base64,${base64}` }, allLabels());
    expect(dataUrl.json.predictions).toEqual(expected.gif);

    const event = functionUrlEvent({ method: "POST", path: allLabels(), headers: { "content-type": "application/json; charset=utf-8" } });
    event.body = Buffer.from(JSON.stringify({ image: base64 })).toString("base64");
    event.isBase64Encoded = true;
    const response = await handler(event, lambdaContext());
    expect(JSON.parse(response.body).predictions).toEqual(expected.gif);
  });

  it("answers the top_k best labels, best first, and TOP_K_DEFAULT of them without top_k", async () => {
    const two = await postImage(handler, images.jpeg, "image/jpeg", "/classify?top_k=2");
    expect(two.json.predictions).toEqual(expected.jpeg.slice(0, 2));
    const fallback = await postImage(handler, images.jpeg, "image/jpeg");
    expect(fallback.json.predictions).toEqual(expected.jpeg.slice(0, config.topKDefault));
  });
});

describe("batches", () => {
  it("classifies every format in one multipart form; each result matches the single-image answer", async () => {
    const form = await multipartBody(imageFormats.map((format) => ({ bytes: images[format], type: acceptedFormats[format] })));
    const result = await postImage(handler, form.body, form.contentType, allLabels());
    expectSuccess(result);
    expect(result.json.predictions).toBeUndefined();
    expect(result.json.results).toEqual(imageFormats.map((format) => ({ predictions: expected[format] })));
  });

  it('classifies every format in one {"images": [...]} JSON request', async () => {
    const result = await postJson(handler, { images: imageFormats.map((format) => images[format].toString("base64")) }, allLabels());
    expectSuccess(result);
    expect(result.json.results).toEqual(imageFormats.map((format) => ({ predictions: expected[format] })));
  });

  it("answers a batch of one with results", async () => {
    const result = await postJson(handler, { images: [images.png.toString("base64")] }, allLabels());
    expect(result.json.results).toEqual([{ predictions: expected.png }]);
  });

  it("fails only the bad images of a JSON batch, each with its own code", async () => {
    const corrupt = images.jpeg.subarray(0, 200).toString("base64");
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>').toString("base64");
    const result = await postJson(
      handler,
      { images: [images.jpeg.toString("base64"), "not base64!", corrupt, "", svg, images.tiff.toString("base64")] },
      allLabels(),
    );
    expectSuccess(result);
    const [first, notBase64, truncated, empty, vector, last] = result.json.results;
    expect(first).toEqual({ predictions: expected.jpeg });
    expect(notBase64.error.code).toBe("INVALID_BASE64");
    expect(truncated.error.code).toBe("INVALID_IMAGE");
    expect(empty.error.code).toBe("EMPTY_IMAGE");
    expect(vector.error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(last).toEqual({ predictions: expected.tiff });
    for (const item of [notBase64, truncated, empty, vector]) expect(item.error.message).toEqual(expect.any(String));
  });

  it("fails only the bad part of a multipart batch", async () => {
    const form = await multipartBody([
      { bytes: images.avif, type: "image/avif" },
      { bytes: Buffer.from("plain text, not an image"), type: "text/plain" },
      { bytes: images.webp, type: "image/webp" },
    ]);
    const result = await postImage(handler, form.body, form.contentType, allLabels());
    expect(result.json.results[0]).toEqual({ predictions: expected.avif });
    expect(result.json.results[1].error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
    expect(result.json.results[2]).toEqual({ predictions: expected.webp });
  });
});

const svgBytes = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>');
const bmpHeader = Buffer.from("424d3e000000000000003e00000028000000010000000100000001001800000000000800000000000000000000000000000000000000", "hex");

interface ErrorCase {
  name: string;
  code: ErrorCode;
  request: () => FunctionUrlRequest | Promise<FunctionUrlRequest>;
  /** Changes the built event before the call (e.g. a body that is not base64). */
  tamper?: (event: ReturnType<typeof functionUrlEvent>) => void;
  allow?: string;
}

const post = (path: string, contentType: string | undefined, body?: Uint8Array | string): FunctionUrlRequest => ({
  method: "POST",
  path,
  headers: contentType ? { "content-type": contentType } : {},
  ...(body === undefined ? {} : { body }),
});
const json = (value: unknown) => post("/classify", "application/json", JSON.stringify(value));

const errorCases: ErrorCase[] = [
  {
    name: "an image that decodes to more pixels than a request may (MAX_REQUEST_PIXELS)",
    code: "TOO_MANY_PIXELS",
    request: async () =>
      post("/classify", "image/png", await sharp({ create: { width: 1200, height: 1000, channels: 3, background: "#808080" } }).png().toBuffer()),
  },
  { name: "a raw request without a body", code: "EMPTY_BODY", request: () => post("/classify", "image/jpeg") },
  { name: "a JSON request without a body", code: "EMPTY_BODY", request: () => post("/classify", "application/json") },
  {
    name: "a body marked base64 that is not",
    code: "INVALID_BASE64",
    request: () => post("/classify", "image/jpeg", "x"),
    tamper: (event) => {
      event.body = "/9j/4AAQ*SkZJRg==";
      event.isBase64Encoded = true;
    },
  },
  { name: 'an "image" that is not base64', code: "INVALID_BASE64", request: () => json({ image: "data with spaces==" }) },
  { name: "a body that is not JSON", code: "INVALID_JSON", request: () => post("/classify", "application/json", '{"image": ') },
  { name: "JSON with neither image nor images", code: "INVALID_REQUEST", request: () => json({ picture: "AAAA" }) },
  { name: "JSON with both image and images", code: "INVALID_REQUEST", request: () => json({ image: "AAAA", images: ["AAAA"] }) },
  { name: "an empty images array", code: "INVALID_REQUEST", request: () => json({ images: [] }) },
  { name: "a number as image", code: "INVALID_REQUEST", request: () => json({ image: 42 }) },
  { name: "a JSON array body", code: "INVALID_REQUEST", request: () => json([1, 2]) },
  { name: "multipart without a boundary", code: "INVALID_MULTIPART", request: () => post("/classify", "multipart/form-data", "--x\r\n") },
  {
    name: "a truncated multipart body",
    code: "INVALID_MULTIPART",
    request: async () => {
      const form = await multipartBody([{ bytes: images.png }]);
      return post("/classify", form.contentType, form.body.subarray(0, form.body.length - 30));
    },
  },
  {
    name: "a form with fields but no file",
    code: "INVALID_MULTIPART",
    request: async () => {
      const form = await multipartBody([], { image: "not a file" });
      return post("/classify", form.contentType, form.body);
    },
  },
  { name: "a truncated JPEG", code: "INVALID_IMAGE", request: () => post("/classify", "image/jpeg", images.jpeg.subarray(0, 300)) },
  { name: "an empty image in JSON", code: "EMPTY_IMAGE", request: () => json({ image: "" }) },
  {
    name: "an empty file in a form",
    code: "EMPTY_IMAGE",
    request: async () => {
      const form = await multipartBody([{ bytes: new Uint8Array(0), type: "image/png" }]);
      return post("/classify", form.contentType, form.body);
    },
  },
  { name: "top_k=0", code: "INVALID_TOP_K", request: () => post("/classify?top_k=0", "image/png", images.png) },
  { name: "top_k above the label count", code: "INVALID_TOP_K", request: () => post(`/classify?top_k=${labelCount + 1}`, "image/png", images.png) },
  { name: "top_k=2.5", code: "INVALID_TOP_K", request: () => post("/classify?top_k=2.5", "image/png", images.png) },
  { name: "top_k=abc", code: "INVALID_TOP_K", request: () => post("/classify?top_k=abc", "image/png", images.png) },
  { name: "top_k given twice", code: "INVALID_TOP_K", request: () => post("/classify?top_k=1&top_k=2", "image/png", images.png) },
  { name: "an unknown path", code: "NOT_FOUND", request: () => ({ method: "GET", path: "/predict" }) },
  { name: "a path below a route", code: "NOT_FOUND", request: () => post("/classify/extra", "image/png", images.png) },
  { name: "GET /classify", code: "METHOD_NOT_ALLOWED", request: () => ({ method: "GET", path: "/classify" }), allow: "POST" },
  { name: "DELETE /", code: "METHOD_NOT_ALLOWED", request: () => ({ method: "DELETE", path: "/" }), allow: "POST" },
  { name: "POST /health", code: "METHOD_NOT_ALLOWED", request: () => post("/health", "image/png", images.png), allow: "GET" },
  { name: "PUT /model", code: "METHOD_NOT_ALLOWED", request: () => ({ method: "PUT", path: "/model" }), allow: "GET" },
  {
    name: "a body over 6 MB",
    code: "PAYLOAD_TOO_LARGE",
    request: () => post("/classify", "image/jpeg", "x"),
    tamper: (event) => {
      event.body = "A".repeat(Math.ceil(((6 * 1024 * 1024 + 3) * 4) / 3 / 4) * 4);
      event.isBase64Encoded = true;
    },
  },
  {
    name: "17 images in JSON",
    code: "TOO_MANY_IMAGES",
    request: () => json({ images: Array.from({ length: 17 }, () => images.png.toString("base64")) }),
  },
  {
    name: "17 files in a form",
    code: "TOO_MANY_IMAGES",
    request: async () => {
      const form = await multipartBody(Array.from({ length: 17 }, () => ({ bytes: Buffer.from([1]) })));
      return post("/classify", form.contentType, form.body);
    },
  },
  { name: "text/plain", code: "UNSUPPORTED_MEDIA_TYPE", request: () => post("/classify", "text/plain", "hello") },
  { name: "a form-urlencoded body", code: "UNSUPPORTED_MEDIA_TYPE", request: () => post("/classify", "application/x-www-form-urlencoded", "image=abc") },
  { name: "image/svg+xml", code: "UNSUPPORTED_MEDIA_TYPE", request: () => post("/classify", "image/svg+xml", svgBytes) },
  { name: "SVG sent as octet-stream", code: "UNSUPPORTED_MEDIA_TYPE", request: () => post("/classify", "application/octet-stream", svgBytes) },
  { name: "SVG sent as image/png", code: "UNSUPPORTED_MEDIA_TYPE", request: () => post("/classify", "image/png", svgBytes) },
  { name: "an SVG data: URL", code: "UNSUPPORTED_MEDIA_TYPE", request: () => json({ image: `data:image/svg+xml;base64,${svgBytes.toString("base64")}` }) },
  { name: "a BMP", code: "UNSUPPORTED_MEDIA_TYPE", request: () => post("/classify", "image/bmp", bmpHeader) },
];

describe("errors", () => {
  it.each(errorCases)("$code for $name", async ({ code, request, tamper, allow }) => {
    const event = functionUrlEvent(await request());
    tamper?.(event);
    const response = await handler(event, lambdaContext());
    const body = JSON.parse(response.body);
    expect(response.statusCode).toBe(errorStatus[code]);
    expect(body).toEqual({ error: { code, message: expect.any(String) }, requestId: event.requestContext.requestId });
    expect(body.error.message).not.toMatch(/\n\s+at /);
    expect(response.headers["content-type"]).toBe("application/json");
    if (allow) expect(response.headers.allow).toBe(allow);
  });

  it("covers every 4xx code the handler can give for inline input", () => {
    const covered = new Set(errorCases.map((c) => c.code));
    const inline = (Object.keys(errorStatus) as ErrorCode[]).filter(
      (code) => errorStatus[code] < 500 && !code.startsWith("S3_") && code !== "IMAGE_TOO_LARGE" && !SERVER_ENTRY_CODES.includes(code),
    );
    expect(inline.filter((code) => !covered.has(code))).toEqual([]);
  });

  it("answers an event that is not a function URL event with 400, whatever it holds", async () => {
    for (const event of [null, undefined, {}, { requestContext: {} }, "text", 42, { requestContext: { http: {} } }]) {
      const response = await handler(event as never, lambdaContext("ctx-odd"));
      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body)).toEqual({
        error: { code: "INVALID_REQUEST", message: expect.any(String) },
        requestId: "ctx-odd",
      });
    }
  });

  it("never throws nor answers 5xx for any client input, and keeps working afterwards", async () => {
    const methods = fc.constantFrom("GET", "POST", "PUT", "OPTIONS", "post", "HEAD");
    const paths = fc.constantFrom("/", "/classify", "/classify/", "/health", "/model", "/x", "", "//", "/classify?top_k=");
    const contentTypes = fc.constantFrom(
      undefined, "image/jpeg", "application/octet-stream", "application/json", "multipart/form-data; boundary=zz",
      "multipart/form-data", "text/plain", "image/svg+xml", "application/json; charset=latin1", ";;;", "image/",
    );
    const bodies = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
      fc.constantFrom('{"image":"/9j/"}', '{"images":["", null]}', "--zz\r\ncontent-disposition: form-data; name=a; filename=b\r\n\r\nxx\r\n--zz--"),
    );
    const topKs = fc.option(fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -2, max: 9 }).map(String)), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(methods, paths, contentTypes, bodies, topKs, fc.boolean(), async (method, path, contentType, body, topK, rawBase64) => {
        const query = topK === undefined ? "" : `${path.includes("?") ? "&" : "?"}top_k=${encodeURIComponent(topK)}`;
        const event = functionUrlEvent({ method, path: path + query, headers: contentType ? { "content-type": contentType } : {}, body });
        if (rawBase64 && typeof body === "string") {
          event.body = body;
          event.isBase64Encoded = true;
        }
        const response = await handler(event, lambdaContext());
        expect(response.statusCode).toBeLessThan(500);
        expect(() => JSON.parse(response.body)).not.toThrow();
      }),
      { numRuns: 60, seed: 3 },
    );
    const after = await postImage(handler, images.jpeg, "image/jpeg", allLabels());
    expect(after.json.predictions).toEqual(expected.jpeg);
  });
});

describe("GET /health and GET /model", () => {
  it("reports the model, the initialisation type, and coldStart only on the first invocation", async () => {
    const fresh = createHandler({ config, classifier, telemetry: new Telemetry(config), initializationType: "provisioned-concurrency" });
    const first = await callHandler(fresh, { method: "GET", path: "/health" });
    const { name, version, sha256 } = classifier.manifest;
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ status: "ok", model: { name, version, sha256 }, initializationType: "provisioned-concurrency", coldStart: true });
    const second = await callHandler(fresh, { method: "GET", path: "/health/" });
    expect(second.json.coldStart).toBe(false);
  });

  it("counts any first invocation as the cold start, not just a health check", async () => {
    const fresh = createHandler({ config, classifier, telemetry: new Telemetry(config), initializationType: "on-demand" });
    expect((await callHandler(fresh, { method: "GET", path: "/nowhere" })).status).toBe(404);
    expect((await callHandler(fresh, { method: "GET", path: "/health" })).json.coldStart).toBe(false);
  });

  it("answers the manifest with its labels", async () => {
    const result = await callHandler(handler, { method: "GET", path: "/model" });
    expect(result.status).toBe(200);
    expect(result.json).toEqual(JSON.parse(JSON.stringify(classifier.manifest)));
    expect(result.json.labels).toHaveLength(labelCount);
    expect(result.json.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});
