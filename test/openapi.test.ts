import type { S3Client } from "@aws-sdk/client-s3";
import { Validator } from "@seriousme/openapi-schema-validator";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler, type FunctionUrlHandler } from "../handler/app.js";
import { Classifier } from "../handler/classifier.js";
import { loadConfig } from "../handler/config.js";
import { type ErrorCode, errorStatus } from "../handler/errors.js";
import { acceptedFormats, acceptedMimeTypes } from "../handler/image-formats.js";
import { resolveInlineSource } from "../handler/image-sources.js";
import { buildOpenApiDocument } from "../handler/openapi/document.js";
import { OPENAPI_METHODS, UNKNOWN_PATH } from "../handler/openapi/paths.js";
import { functionS3Reader } from "../handler/s3-source.js";
import { Telemetry } from "../handler/telemetry.js";
import { gifClaiming } from "./support/crafted-images.js";
import { type FunctionUrlRequest, functionUrlEvent, lambdaContext } from "./support/function-url-event.js";
import { ResponseContract, resolveRef } from "./support/openapi-contract.js";
import { imageFormats, multipartBody, testImage } from "./support/test-images.js";

// The default model; MAX_REQUEST_PIXELS small enough for one ordinary image to exceed it (TOO_MANY_PIXELS); S3
// reads allowed under photos/in/ and served by the stub client below.
const config = loadConfig({
  ...process.env,
  MODEL_DIR: undefined,
  TOP_K_DEFAULT: "3",
  MAX_REQUEST_PIXELS: "1e6",
  S3_INPUT_ALLOWLIST: "photos/in/",
});
const allCodes = Object.keys(errorStatus) as ErrorCode[];

let classifier: Classifier;
let broken: Classifier;
let handler: FunctionUrlHandler;
/** A handler whose model session is released: every classification is a real internal fault. */
let brokenHandler: FunctionUrlHandler;
let documentBody: string;
let document: Record<string, any>;
let contract: ResponseContract;
let labelCount: number;
let jpeg: Buffer;
const images: Record<string, Buffer> = {};

/** S3 as the function sees it: objects by key, a missing one, one over the size limit, one S3 fails to serve. */
const stubS3 = {
  send: async ({ input }: { input: { Key: string } }) => {
    switch (input.Key) {
      case "in/cat.jpg":
        return { ContentLength: jpeg.length, Body: (async function* () { yield jpeg; })() };
      case "in/huge.jpg":
        return { ContentLength: config.s3MaxObjectBytes + 1, Body: Object.assign((async function* () {})(), { destroy: () => {} }) };
      case "in/flaky.jpg":
        throw Object.assign(new Error("We encountered an internal error."), { name: "InternalError", $metadata: { httpStatusCode: 500 } });
      default:
        throw Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey", $metadata: { httpStatusCode: 404 } });
    }
  },
} as unknown as S3Client;

function handlerAround(model: Classifier): FunctionUrlHandler {
  const readS3Object = functionS3Reader(config, () => stubS3);
  return createHandler({
    config,
    classifier: model,
    telemetry: new Telemetry(config),
    initializationType: "on-demand",
    resolveSource: (source) => (source.kind === "s3" ? readS3Object(source.ref) : resolveInlineSource(source)),
  });
}

beforeAll(async () => {
  const options = { threads: 1, maxPixels: config.maxImagePixels, maxRequestPixels: config.maxRequestPixels, warmup: false };
  classifier = await Classifier.load(config.modelDir, options);
  broken = await Classifier.load(config.modelDir, options);
  await broken.dispose();
  handler = handlerAround(classifier);
  brokenHandler = handlerAround(broken);
  labelCount = classifier.manifest.labels.length;
  for (const [index, format] of imageFormats.entries()) images[format] = await testImage(format, 48, 32, index + 1);
  jpeg = images.jpeg!;
  const served = await handler(functionUrlEvent({ method: "GET", path: "/openapi.json" }), lambdaContext());
  documentBody = served.body;
  document = JSON.parse(documentBody);
  contract = new ResponseContract(document);
});

afterAll(async () => {
  await classifier?.dispose();
});

interface Exchange {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string>;
  body: any;
}

async function send(request: FunctionUrlRequest, options: { via?: FunctionUrlHandler; remainingMs?: number; tamper?: (event: any) => void } = {}): Promise<Exchange> {
  const event = functionUrlEvent(request);
  options.tamper?.(event);
  const context = lambdaContext();
  if (options.remainingMs !== undefined) context.getRemainingTimeInMillis = () => options.remainingMs!;
  const response = await (options.via ?? handler)(event, context);
  const method = request.method ?? "GET";
  return { method, path: request.path ?? "/", status: response.statusCode, headers: response.headers, body: JSON.parse(response.body) };
}

const post = (path: string, contentType: string | undefined, body?: Uint8Array | string): FunctionUrlRequest => ({
  method: "POST",
  path,
  headers: contentType ? { "content-type": contentType } : {},
  ...(body === undefined ? {} : { body }),
});
const postJson = (value: unknown, path = "/classify") => post(path, "application/json", JSON.stringify(value));
const b64 = (bytes: Buffer) => bytes.toString("base64");
const s3 = (key: string) => ({ bucket: "photos", key });

/** The body conforms to the document's schema for the request's route, method and status. */
function expectConforms(exchange: Exchange): void {
  const problems = contract.check(exchange.path, exchange.method, exchange.status, exchange.body);
  expect(problems, `${exchange.method} ${exchange.path} → ${exchange.status} ${JSON.stringify(exchange.body).slice(0, 300)}`).toEqual([]);
}

describe("the document", () => {
  it("is a valid OpenAPI 3.1 document; the validator does refuse a broken one", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");

    const broken = structuredClone(document);
    delete broken.paths["/health"].get.responses["200"].description;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it("is served at GET /openapi.json as JSON, built once, and is the document buildOpenApiDocument gives", async () => {
    const first = await handler(functionUrlEvent({ method: "GET", path: "/openapi.json" }), lambdaContext());
    expect(first.statusCode).toBe(200);
    expect(first.headers).toMatchObject({ "content-type": "application/json", "cache-control": "no-store", "x-content-type-options": "nosniff" });
    expect(first.body).toBe(documentBody);
    expect(document).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument({ manifest: classifier.manifest, config }))));
    expect(document.openapi).toBe("3.1.0");
  });

  it("lists every error code of errors.ts under its status, and under no other", () => {
    const responses = document.components.responses;
    for (const code of allCodes) {
      const status = errorStatus[code];
      const response = responses[`Error${status}`];
      expect(response, code).toBeDefined();
      expect(response.content["application/json"].schema.properties.error.properties.code.enum).toContain(code);
    }
    const listed = Object.entries(responses).flatMap(([name, response]: [string, any]) =>
      response.content["application/json"].schema.properties.error.properties.code.enum.map((code: ErrorCode) => [code, name]),
    );
    expect(listed.map(([code, name]) => `${code} ${name}`).sort()).toEqual(allCodes.map((code) => `${code} Error${errorStatus[code]}`).sort());
    expect(responses.Error405.headers.Allow.required).toBe(true);
  });

  it("answers every error code from some operation, each under its own status", () => {
    const reachable = new Set<string>();
    for (const item of Object.values(document.paths) as any[]) {
      for (const method of OPENAPI_METHODS) {
        for (const [status, response] of Object.entries(item[method]?.responses ?? {})) {
          if (status === "200") continue;
          const codes: string[] = resolveRef(document, response as any).content["application/json"].schema.properties.error.properties.code.enum;
          for (const code of codes) {
            expect(errorStatus[code as ErrorCode], code).toBe(Number(status));
            reachable.add(code);
          }
        }
      }
    }
    expect([...reachable].sort()).toEqual([...allCodes].sort());
  });

  it("documents every request form of POST /classify and POST /, and top_k with its bounds", () => {
    for (const path of ["/classify", "/"]) {
      const operation = document.paths[path].post;
      expect(Object.keys(operation.requestBody.content).sort()).toEqual(
        [...acceptedMimeTypes, "application/octet-stream", "multipart/form-data", "application/json"].sort(),
      );
      for (const type of acceptedMimeTypes) expect(operation.requestBody.content[type].schema).toEqual({ type: "string", format: "binary" });
      expect(operation.requestBody.content["application/json"].schema).toEqual({ $ref: "#/components/schemas/ClassifyJsonRequest" });
      expect(operation.parameters).toEqual([
        expect.objectContaining({ name: "top_k", in: "query", schema: { type: "integer", minimum: 1, maximum: labelCount, default: 3 } }),
      ]);
      expect(operation.responses["200"].headers["Server-Timing"]).toBeDefined();
    }
    expect(document.components.schemas.Prediction.properties.label.enum).toEqual(classifier.manifest.labels);
    expect(document.components.schemas.ImageJsonRequest.properties.images.maxItems).toBe(config.maxBatchImages);
    expect(document.components.schemas.S3JsonRequest.properties.s3.anyOf[1].maxItems).toBe(config.maxBatchImages);
    expect(document.paths["/classify"].post.requestBody.description).toContain(`At most ${config.maxBodyBytes} bytes`);
  });

  it("states the methods of every route as the handler serves them: 405 with Allow for the others, 404 for other paths", async () => {
    for (const [path, item] of Object.entries(document.paths) as [string, any][]) {
      const served = OPENAPI_METHODS.filter((method) => !item[method].responses["405"]);
      for (const method of OPENAPI_METHODS) {
        const requestPath = path === UNKNOWN_PATH ? "/no-such-route" : path;
        const exchange = await send({ method, path: requestPath });
        expectConforms(exchange);
        if (path === UNKNOWN_PATH) {
          expect([method, exchange.status]).toEqual([method, 404]);
        } else if (served.includes(method)) {
          expect(exchange.status, `${method} ${path}`).not.toBe(405);
          expect(exchange.status, `${method} ${path}`).not.toBe(404);
        } else {
          expect([path, method, exchange.status]).toEqual([path, method, 405]);
          expect(exchange.headers.allow).toBe(served.map((m) => m.toUpperCase()).join(", "));
        }
      }
    }
  });
});

/** Requests of every form the API accepts; each answer must be a 200 that conforms to the document. */
const successCases: Array<{ name: string; request: () => FunctionUrlRequest | Promise<FunctionUrlRequest>; batch: boolean }> = [
  ...imageFormats.map((format) => ({
    name: `a raw ${acceptedFormats[format]} body`,
    request: () => post(`/classify?top_k=${labelCount}`, acceptedFormats[format], images[format]),
    batch: false,
  })),
  { name: "application/octet-stream at POST /", request: () => post("/?top_k=1", "application/octet-stream", jpeg), batch: false },
  { name: "a body without a content type", request: () => post("/classify", undefined, jpeg), batch: false },
  {
    name: "a form with one file",
    request: async () => {
      const form = await multipartBody([{ bytes: images.png!, type: "image/png" }], { note: "ignored" });
      return post("/classify", form.contentType, form.body);
    },
    batch: false,
  },
  {
    name: "a form with several files, one of them not an image",
    request: async () => {
      const form = await multipartBody([{ bytes: images.webp!, type: "image/webp" }, { bytes: Buffer.from("text"), type: "text/plain" }]);
      return post("/classify", form.contentType, form.body);
    },
    batch: true,
  },
  { name: '{"image": base64}', request: () => postJson({ image: b64(jpeg) }), batch: false },
  { name: '{"image": data: URL} as application/vnd.api+json', request: () => post("/classify", "application/vnd.api+json", JSON.stringify({ image: `data:image/gif;base64,${b64(images.gif!)}` })), batch: false },
  {
    name: '{"images": [...]} with per-image failures',
    request: () => postJson({ images: [b64(jpeg), "not base64!", b64(jpeg.subarray(0, 200)), "", b64(images.tiff!)] }),
    batch: true,
  },
  { name: '{"s3": {bucket, key}}', request: () => postJson({ s3: s3("in/cat.jpg") }), batch: false },
  {
    name: '{"s3": [...]} with every per-object S3 failure',
    request: () => postJson({ s3: [s3("in/cat.jpg"), s3("in/missing.jpg"), s3("in/huge.jpg"), s3("in/flaky.jpg"), s3("elsewhere/x.jpg")] }),
    batch: true,
  },
  { name: "GET /health", request: () => ({ method: "GET", path: "/health" }), batch: false },
  { name: "GET /model", request: () => ({ method: "GET", path: "/model/" }), batch: false },
  { name: "GET /openapi.json", request: () => ({ method: "GET", path: "/openapi.json" }), batch: false },
];

interface ErrorCase {
  code: ErrorCode;
  name: string;
  request: () => FunctionUrlRequest | Promise<FunctionUrlRequest>;
  via?: () => FunctionUrlHandler;
  remainingMs?: number;
  tamper?: (event: any) => void;
}

const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>');

/** One request per error code (and a few more forms); INTERNAL_ERROR needs the broken model, TIMEOUT a late clock. */
const errorCases: ErrorCase[] = [
  { code: "EMPTY_BODY", name: "a raw request without a body", request: () => post("/classify", "image/jpeg") },
  { code: "EMPTY_BODY", name: "a JSON request without a body", request: () => post("/classify", "application/json") },
  {
    code: "INVALID_BASE64",
    name: "a body marked base64 that is not",
    request: () => post("/classify", "image/jpeg", "x"),
    tamper: (event) => Object.assign(event, { body: "/9j/4AAQ*SkZJRg==", isBase64Encoded: true }),
  },
  { code: "INVALID_BASE64", name: 'an "image" that is not base64', request: () => postJson({ image: "data with spaces==" }) },
  { code: "INVALID_JSON", name: "a body that is not JSON", request: () => post("/classify", "application/json", '{"image": ') },
  { code: "INVALID_REQUEST", name: "JSON with both image and images", request: () => postJson({ image: "AAAA", images: ["AAAA"] }) },
  { code: "INVALID_REQUEST", name: "s3 beside image", request: () => postJson({ s3: s3("in/cat.jpg"), image: "AAAA" }) },
  { code: "INVALID_MULTIPART", name: "multipart without a boundary", request: () => post("/classify", "multipart/form-data", "--x\r\n") },
  { code: "INVALID_IMAGE", name: "a truncated JPEG", request: () => post("/classify", "image/jpeg", jpeg.subarray(0, 300)) },
  { code: "EMPTY_IMAGE", name: "an empty image in JSON", request: () => postJson({ image: "" }) },
  { code: "INVALID_TOP_K", name: "top_k above the label count", request: () => post(`/classify?top_k=${labelCount + 1}`, "image/jpeg", jpeg) },
  { code: "INVALID_TOP_K", name: "top_k=0", request: () => post("/classify?top_k=0", "image/jpeg", jpeg) },
  { code: "S3_ACCESS_DENIED", name: "an S3 object outside the allowlist", request: () => postJson({ s3: s3("elsewhere/x.jpg") }) },
  { code: "NOT_FOUND", name: "an unknown path", request: () => ({ method: "GET", path: "/predict" }) },
  { code: "NOT_FOUND", name: "a path below a route", request: () => post("/classify/extra", "image/jpeg", jpeg) },
  { code: "S3_OBJECT_NOT_FOUND", name: "a missing S3 object", request: () => postJson({ s3: s3("in/missing.jpg") }) },
  { code: "METHOD_NOT_ALLOWED", name: "GET /classify", request: () => ({ method: "GET", path: "/classify" }) },
  { code: "METHOD_NOT_ALLOWED", name: "POST /openapi.json", request: () => post("/openapi.json", "application/json", "{}") },
  {
    code: "PAYLOAD_TOO_LARGE",
    name: "a body over MAX_BODY_BYTES",
    request: () => post("/classify", "image/jpeg", "x"),
    tamper: (event) => Object.assign(event, { body: "A".repeat(Math.ceil(((config.maxBodyBytes + 3) * 4) / 3 / 4) * 4), isBase64Encoded: true }),
  },
  {
    code: "TOO_MANY_IMAGES",
    name: "more images than MAX_BATCH_IMAGES",
    request: () => postJson({ images: Array.from({ length: config.maxBatchImages + 1 }, () => b64(jpeg)) }),
  },
  { code: "S3_OBJECT_TOO_LARGE", name: "an S3 object over S3_MAX_OBJECT_BYTES", request: () => postJson({ s3: s3("in/huge.jpg") }) },
  {
    code: "TOO_MANY_PIXELS",
    name: "an image decoding to more than MAX_REQUEST_PIXELS",
    request: async () => post("/classify", "image/png", await sharp({ create: { width: 1200, height: 1000, channels: 3, background: "#808080" } }).png().toBuffer()),
  },
  { code: "UNSUPPORTED_MEDIA_TYPE", name: "text/plain", request: () => post("/classify", "text/plain", "hello") },
  { code: "UNSUPPORTED_MEDIA_TYPE", name: "SVG as image/png", request: () => post("/classify", "image/png", svg) },
  { code: "IMAGE_TOO_LARGE", name: "a GIF claiming 10000 x 10000 pixels", request: () => post("/classify", "image/gif", gifClaiming(10_000, 10_000)) },
  { code: "INTERNAL_ERROR", name: "a fault: the model session is released", request: () => post("/classify", "image/jpeg", jpeg), via: () => brokenHandler },
  { code: "S3_UNAVAILABLE", name: "S3 failing", request: () => postJson({ s3: s3("in/flaky.jpg") }) },
  { code: "TIMEOUT", name: "5 ms left before the function's timeout", request: () => post("/classify", "image/jpeg", jpeg), remainingMs: 5 },
];

/** Codes the handler itself never answers, with why (each is driven where it is answered). */
const CODES_NOT_DRIVEN: ReadonlyMap<ErrorCode, string> = new Map<ErrorCode, string>([
  ["THROTTLED", "the server entry's main thread answers it when its queue is full (test/server-entry.test.ts)"],
  ["SHUTTING_DOWN", "the server entry's main thread answers GET /health with it while draining (test/server-entry.test.ts)"],
]);

describe("real responses conform to the document", () => {
  const seenCodes = new Set<string>();

  it.each(successCases)("200 for $name", async ({ request, batch }) => {
    const exchange = await send(await request());
    expect(exchange.status, JSON.stringify(exchange.body).slice(0, 300)).toBe(200);
    expectConforms(exchange);
    if (exchange.path.startsWith("/classify") || exchange.path.startsWith("/?")) {
      expect(batch ? exchange.body.results : exchange.body.predictions).toBeDefined();
      for (const item of exchange.body.results ?? []) if (item.error) expect(errorStatus[item.error.code as ErrorCode]).toBeDefined();
    }
  });

  it.each(errorCases)("$code for $name", async ({ code, request, via, remainingMs, tamper }) => {
    const exchange = await send(await request(), {
      ...(via ? { via: via() } : {}),
      ...(remainingMs === undefined ? {} : { remainingMs }),
      ...(tamper ? { tamper } : {}),
    });
    expect([exchange.status, exchange.body.error?.code]).toEqual([errorStatus[code], code]);
    expectConforms(exchange);
    seenCodes.add(exchange.body.error.code);
  });

  it("drove every error code of errors.ts through the handler, except those listed with a reason", () => {
    const expected = allCodes.filter((code) => !CODES_NOT_DRIVEN.has(code));
    expect([...seenCodes].sort()).toEqual(expected.sort());
  });

  it("fails a body that does not match: an extra field, a code of another status, a label the model does not have", () => {
    const single = { model: { name: "m", version: "1" }, predictions: [{ label: classifier.manifest.labels[0], score: 0.5 }], timings: { decodeMs: 1, inferenceMs: 1, totalMs: 2 } };
    expect(contract.check("/classify", "POST", 200, single)).toEqual([]);
    expect(contract.check("/classify", "POST", 200, { ...single, extra: 1 })).not.toEqual([]);
    expect(contract.check("/classify", "POST", 200, { ...single, predictions: [{ label: "not a label", score: 0.5 }] })).not.toEqual([]);
    expect(contract.check("/classify", "POST", 400, { error: { code: "TIMEOUT", message: "m" }, requestId: "r" })).not.toEqual([]);
  });
});

describe("the request JSON schema agrees with the handler", () => {
  const schemaAccepts = (body: unknown) => contract.compile({ $ref: "#/components/schemas/ClassifyJsonRequest" })(body);

  const accepted = () => [
    { image: b64(jpeg) },
    { image: `data:image/jpeg;base64,${b64(jpeg)}` },
    { images: [b64(jpeg), b64(images.png!)] },
    { s3: s3("in/cat.jpg") },
    { s3: [s3("in/cat.jpg")] },
  ];
  const rejected = () => [
    {},
    null,
    [1, 2],
    "an image",
    { picture: b64(jpeg) },
    { image: 42 },
    { image: b64(jpeg), images: [b64(jpeg)] },
    { images: [] },
    { images: [b64(jpeg), 7] },
    { images: Array.from({ length: config.maxBatchImages + 1 }, () => "AAAA") },
    { s3: { bucket: "ab", key: "k" } },
    { s3: { bucket: "photos", key: "in/cat.jpg", region: "eu-west-1" } },
    { s3: [] },
    { s3: s3("in/cat.jpg"), image: b64(jpeg) },
  ];

  it("a body the schema accepts is classified", async () => {
    for (const body of accepted()) {
      expect(schemaAccepts(body), JSON.stringify(body).slice(0, 80)).toBe(true);
      const exchange = await send(postJson(body));
      expect(exchange.status, JSON.stringify(exchange.body)).toBe(200);
      expectConforms(exchange);
    }
  });

  it("a body the schema rejects gets a 4xx", async () => {
    for (const body of rejected()) {
      expect(schemaAccepts(body), JSON.stringify(body).slice(0, 80)).toBe(false);
      const exchange = await send(postJson(body));
      expect(exchange.status, JSON.stringify(body).slice(0, 80)).toBeGreaterThanOrEqual(400);
      expect(exchange.status).toBeLessThan(500);
      expectConforms(exchange);
    }
  });
});
