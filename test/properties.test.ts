import type { APIGatewayProxyEventV2 } from "aws-lambda";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler, type FunctionUrlHandler } from "../handler/app.js";
import { Classifier, type Prediction } from "../handler/classifier.js";
import { loadConfig } from "../handler/config.js";
import { type ErrorCode, errorStatus, MAX_ERROR_MESSAGE_LENGTH } from "../handler/errors.js";
import { Telemetry } from "../handler/telemetry.js";
import { functionUrlEvent, lambdaContext } from "./support/function-url-event.js";
import { postImage } from "./support/handler-calls.js";
import { testImage } from "./support/test-images.js";

// Property-based: whatever the event holds, the answer is well-formed JSON with a 2xx or 4xx status.
const NUM_RUNS = 200;
const config = loadConfig({ ...process.env, MODEL_DIR: undefined });
let classifier: Classifier;
let handler: FunctionUrlHandler;
let labels: Set<string>;
let seedImages: Buffer[];
let baseline: Prediction[];

beforeAll(async () => {
  classifier = await Classifier.load(config.modelDir, { threads: 1, maxPixels: config.maxImagePixels, warmup: false });
  handler = createHandler({ config, classifier, telemetry: new Telemetry(config) });
  labels = new Set(classifier.manifest.labels);
  seedImages = await Promise.all([
    testImage("jpeg", 40, 30, 1),
    testImage("png", 24, 24, 2),
    testImage("webp", 30, 20, 3),
    testImage("gif", 16, 16, 4),
  ]);
  baseline = (await postImage(handler, seedImages[0]!, "image/jpeg")).json.predictions;
});

afterAll(async () => {
  await classifier?.dispose();
});

function expectPredictions(predictions: unknown): void {
  expect(Array.isArray(predictions)).toBe(true);
  for (const p of predictions as Prediction[]) {
    expect(labels.has(p.label)).toBe(true);
    expect(p.score).toBeGreaterThanOrEqual(0);
    expect(p.score).toBeLessThanOrEqual(1);
  }
}

/** Calls the handler and checks the answer's shape; returns the status and the parsed body. */
async function wellFormed(event: unknown): Promise<{ status: number; body: any }> {
  const response = await handler(event as APIGatewayProxyEventV2, lambdaContext());
  expect(Number.isInteger(response.statusCode)).toBe(true);
  const status = response.statusCode;
  expect((status >= 200 && status < 300) || (status >= 400 && status < 500), `status ${status}: ${response.body.slice(0, 300)}`).toBe(true);
  expect(response.headers["content-type"]).toBe("application/json");
  expect(typeof response.body).toBe("string");
  const body = JSON.parse(response.body);
  expect(body).toBeTypeOf("object");
  if (status >= 400) {
    expect(Object.keys(body).sort()).toEqual(["error", "requestId"]);
    expect(errorStatus[body.error.code as ErrorCode]).toBe(status);
    expect(body.error.message).toBeTypeOf("string");
    expect(body.error.message.length).toBeGreaterThan(0);
    expect(body.error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_LENGTH);
    expect(body.error.message).not.toMatch(/\n\s+at /);
  } else if (body.predictions !== undefined) {
    expectPredictions(body.predictions);
  } else if (body.results !== undefined) {
    for (const item of body.results) {
      if (item.predictions) expectPredictions(item.predictions);
      else expect(errorStatus[item.error.code as ErrorCode]).toBeLessThan(500);
    }
  }
  return { status, body };
}

const methods = fc.oneof(fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "post"), fc.string({ maxLength: 12 }));
const paths = fc.oneof(
  fc.constantFrom("/", "/classify", "/classify/", "/health", "/model", "/model/", "//", "/CLASSIFY", "/%2e%2e/", ""),
  fc.webPath(),
  fc.string({ maxLength: 40 }),
);
const contentTypes = fc.option(
  fc.oneof(
    fc.constantFrom(
      "image/jpeg", "image/png", "image/webp", "image/gif", "image/svg+xml", "image/", "application/octet-stream",
      "application/json", "application/json; charset=utf-8", "application/problem+json", "multipart/form-data",
      "multipart/form-data; boundary=b", "text/plain", "application/x-www-form-urlencoded", ";", "",
    ),
    fc.string({ maxLength: 60 }),
    fc.tuple(fc.constantFrom("image", "application", "multipart", "text"), fc.string({ maxLength: 20 })).map(([a, b]) => `${a}/${b}`),
  ),
  { nil: undefined },
);
const queryStrings = fc.oneof(
  fc.constant(""),
  fc.dictionary(fc.oneof(fc.constant("top_k"), fc.string({ maxLength: 6 })), fc.string({ maxLength: 10 }), { maxKeys: 4 }).map((query) =>
    new URLSearchParams(query).toString(),
  ),
  fc.array(fc.oneof(fc.integer({ min: -3, max: 9 }).map(String), fc.string({ maxLength: 5 })), { minLength: 1, maxLength: 3 }).map((values) =>
    values.map((value) => `top_k=${encodeURIComponent(value)}`).join("&"),
  ),
);
const bodies = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc.record({ image: fc.oneof(fc.string({ maxLength: 40 }), fc.base64String({ maxLength: 60 }), fc.jsonValue({ maxDepth: 2 })) }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
  fc.record({ images: fc.array(fc.oneof(fc.base64String({ maxLength: 40 }), fc.jsonValue({ maxDepth: 1 })), { maxLength: 20 }) }).map((value) => JSON.stringify(value)),
  fc.constant(undefined),
);

describe("properties of the handler's answers", () => {
  it("any method, path, query, content type and body: well-formed JSON, 2xx or 4xx, never a throw", async () => {
    await fc.assert(
      fc.asyncProperty(
        methods, paths, queryStrings, contentTypes, bodies, fc.constantFrom("as sent", "raw text flagged base64", "base64 flag off"),
        async (method, path, query, contentType, body, encoding) => {
          const event = functionUrlEvent({
            method: method || "GET",
            path: `${path.startsWith("/") ? path : `/${path}`}${query ? `?${query}` : ""}`,
            headers: contentType === undefined ? {} : { "content-type": contentType },
            ...(body === undefined ? {} : { body }),
          });
          if (encoding !== "as sent" && typeof body === "string") {
            event.body = body;
            event.isBase64Encoded = encoding === "raw text flagged base64";
          }
          await wellFormed(event);
        },
      ),
      { numRuns: NUM_RUNS, seed: 8 },
    );
  });

  it("any value as the event (not a function URL event): 400 INVALID_REQUEST", async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything({ maxDepth: 3 }), async (event) => {
        const { status, body } = await wellFormed(event);
        expect(status).toBe(400);
        expect(body.error.code).toBe("INVALID_REQUEST");
      }),
      { numRuns: NUM_RUNS, seed: 9 },
    );
  });

  it("any event with odd field types (headers, query, body, flags): well-formed, 2xx or 4xx", async () => {
    const odd = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer(), fc.string({ maxLength: 20 }), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), fc.anything({ maxDepth: 1 }), { maxKeys: 3 }));
    await fc.assert(
      fc.asyncProperty(odd, odd, odd, odd, odd, odd, async (headers, query, body, isBase64Encoded, rawPath, rawQueryString) => {
        const event = functionUrlEvent({ method: "POST", path: "/classify", headers: { "content-type": "image/png" }, body: seedImages[1]! }) as any;
        Object.assign(event, { headers, queryStringParameters: query, body, isBase64Encoded, rawPath, rawQueryString });
        await wellFormed(event);
      }),
      { numRuns: NUM_RUNS, seed: 10 },
    );
  });

  it("regression: a rawQueryString that is not a string (found by the property above) is a 4xx/2xx, not a 500", async () => {
    for (const rawQueryString of [[""], ["top_k", "1"], { top_k: "1" }, 42]) {
      const event = functionUrlEvent({ method: "POST", path: "/classify", headers: { "content-type": "image/png" }, body: seedImages[1]! }) as any;
      Object.assign(event, { queryStringParameters: undefined, rawQueryString });
      const { status } = await wellFormed(event);
      expect(status).toBe(200);
    }
  });

  it("any corruption of a valid image: 200, or a 400/415/422 image error — never a 5xx", async () => {
    const corruption = fc.record({
      image: fc.integer({ min: 0, max: 3 }),
      edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("set", "xor", "insert", "delete")), { minLength: 1, maxLength: 8 }),
      truncateTo: fc.option(fc.nat(), { nil: undefined }),
    });
    const imageCodes = new Set(["INVALID_IMAGE", "UNSUPPORTED_MEDIA_TYPE", "IMAGE_TOO_LARGE", "EMPTY_BODY"]);
    await fc.assert(
      fc.asyncProperty(corruption, async ({ image, edits, truncateTo }) => {
        let bytes = Array.from(seedImages[image]!);
        for (const [position, value, kind] of edits) {
          const at = position % Math.max(1, bytes.length);
          if (kind === "set") bytes[at] = value;
          else if (kind === "xor") bytes[at] = (bytes[at] ?? 0) ^ (value || 1);
          else if (kind === "insert") bytes.splice(at, 0, value);
          else bytes.splice(at, 1);
        }
        if (truncateTo !== undefined) bytes = bytes.slice(0, truncateTo % (bytes.length + 1));
        const { status, body } = await wellFormed(functionUrlEvent({ method: "POST", path: "/classify", headers: { "content-type": "application/octet-stream" }, body: Uint8Array.from(bytes) }));
        if (status !== 200) expect(imageCodes.has(body.error.code), body.error.code).toBe(true);
      }),
      { numRuns: NUM_RUNS, seed: 11 },
    );
  });

  it("still classifies a good image exactly as before, after all of the above", async () => {
    const after = await postImage(handler, seedImages[0]!, "image/jpeg");
    expect(after.status).toBe(200);
    expect(after.json.predictions).toEqual(baseline);
  });
});
