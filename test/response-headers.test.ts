import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler, type FunctionUrlHandler } from "../handler/app.js";
import { Classifier } from "../handler/classifier.js";
import { loadConfig } from "../handler/config.js";
import { errorResponse } from "../handler/response.js";
import { Telemetry } from "../handler/telemetry.js";
import { type CallResult, callHandler, postImage, postJson } from "./support/handler-calls.js";
import { testImage } from "./support/test-images.js";

const config = loadConfig({ ...process.env, MODEL_DIR: undefined });
let classifier: Classifier;
let handler: FunctionUrlHandler;

beforeAll(async () => {
  classifier = await Classifier.load(config.modelDir, { threads: 1, maxPixels: config.maxImagePixels, warmup: false });
  handler = createHandler({ config, classifier, telemetry: new Telemetry(config), initializationType: "on-demand" });
});

afterAll(async () => {
  await classifier?.dispose();
});

function expectHardenedHeaders(headers: Record<string, string>): void {
  expect(headers["content-type"]).toBe("application/json");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["cache-control"]).toBe("no-store");
}

describe("every response the handler builds is nosniff and no-store", () => {
  const cases: Array<[string, number, () => Promise<CallResult>]> = [
    ["a classified image", 200, async () => postImage(handler, await testImage("png", 32, 32, 1), "image/png")],
    ["GET /health", 200, () => callHandler(handler, { method: "GET", path: "/health" })],
    ["GET /model", 200, () => callHandler(handler, { method: "GET", path: "/model" })],
    ["invalid JSON", 400, () => callHandler(handler, { method: "POST", path: "/classify", headers: { "content-type": "application/json" }, body: "{" })],
    ["too many s3 references", 413, () => postJson(handler, { s3: Array.from({ length: config.maxBatchImages + 1 }, () => ({})) })],
    ["an unknown path", 404, () => callHandler(handler, { method: "GET", path: "/nope" })],
  ];

  it.each(cases)("%s (%i)", async (_, status, call) => {
    const result = await call();
    expect(result.status, JSON.stringify(result.json)).toBe(status);
    expectHardenedHeaders(result.headers);
  });

  it("keeps a route's own headers beside them (405 Allow, 200 Server-Timing)", async () => {
    const notAllowed = await callHandler(handler, { method: "DELETE", path: "/health" });
    expect(notAllowed.status).toBe(405);
    expect(notAllowed.headers.allow).toBe("GET");
    expectHardenedHeaders(notAllowed.headers);
    const classified = await postImage(handler, await testImage("jpeg", 32, 32, 2), "image/jpeg");
    expect(classified.headers["server-timing"]).toMatch(/^decode;dur=/);
    expectHardenedHeaders(classified.headers);
  });

  it("an internal error (500) too", () => {
    const response = errorResponse(new Error("boom"), "request-1");
    expect(response.statusCode).toBe(500);
    expectHardenedHeaders(response.headers);
  });
});
