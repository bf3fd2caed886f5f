import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler, type FunctionUrlHandler } from "../handler/app.js";
import { Classifier } from "../handler/classifier.js";
import { loadConfig } from "../handler/config.js";
import { errorStatus } from "../handler/errors.js";
import { Telemetry } from "../handler/telemetry.js";
import { callHandler, postImage, postJson } from "./support/handler-calls.js";
import { multipartBody, testImage } from "./support/test-images.js";

// Small limits so that the limits are reached with small images.
const config = loadConfig({
  ...process.env,
  MODEL_DIR: undefined,
  MAX_BODY_BYTES: "20000",
  MAX_BATCH_IMAGES: "2",
  MAX_IMAGE_PIXELS: String(64 * 64),
});
let classifier: Classifier;
let handler: FunctionUrlHandler;
let small: Buffer;
let tooManyPixels: Buffer;

beforeAll(async () => {
  classifier = await Classifier.load(config.modelDir, { threads: 1, maxPixels: config.maxImagePixels, warmup: false });
  handler = createHandler({ config, classifier, telemetry: new Telemetry(config) });
  small = await testImage("png", 12, 8, 7);
  tooManyPixels = await testImage("jpeg", 80, 60, 8);
});

afterAll(async () => {
  await classifier?.dispose();
});

describe("configured limits", () => {
  it("413 PAYLOAD_TOO_LARGE for a raw, JSON or multipart body over MAX_BODY_BYTES", async () => {
    const big = Buffer.alloc(20_001, 1);
    const form = await multipartBody([{ bytes: big.subarray(0, 19_900) }]);
    for (const result of [
      await postImage(handler, big, "image/png"),
      await postJson(handler, { image: big.subarray(0, 15_100).toString("base64") }),
      await postImage(handler, form.body, form.contentType),
    ]) {
      expect(result.status).toBe(413);
      expect(result.json.error.code).toBe("PAYLOAD_TOO_LARGE");
    }
    expect((await postImage(handler, small, "image/png")).status).toBe(200);
  });

  it("413 TOO_MANY_IMAGES above MAX_BATCH_IMAGES, as JSON and as multipart; the limit itself is fine", async () => {
    const b64 = small.toString("base64");
    expect((await postJson(handler, { images: [b64, b64] })).status).toBe(200);
    const json = await postJson(handler, { images: [b64, b64, b64] });
    const form = await multipartBody([{ bytes: small }, { bytes: small }, { bytes: small }]);
    const multipart = await postImage(handler, form.body, form.contentType);
    for (const result of [json, multipart]) {
      expect(result.status).toBe(errorStatus.TOO_MANY_IMAGES);
      expect(result.json.error.code).toBe("TOO_MANY_IMAGES");
    }
  });

  it("422 IMAGE_TOO_LARGE for one image over MAX_IMAGE_PIXELS; in a batch only that image fails", async () => {
    const single = await postImage(handler, tooManyPixels, "image/jpeg");
    expect(single.status).toBe(422);
    expect(single.json.error.code).toBe("IMAGE_TOO_LARGE");

    const batch = await postJson(handler, { images: [tooManyPixels.toString("base64"), small.toString("base64")] });
    expect(batch.status).toBe(200);
    expect(batch.json.results[0].error.code).toBe("IMAGE_TOO_LARGE");
    expect(batch.json.results[1].predictions).toHaveLength(Math.min(config.topKDefault, classifier.manifest.labels.length));
  });
});

describe("internal faults", () => {
  it("500 INTERNAL_ERROR without details when the model session is gone; other routes keep answering", async () => {
    const broken = await Classifier.load(config.modelDir, { threads: 1, warmup: false });
    const brokenHandler = createHandler({ config, classifier: broken, telemetry: new Telemetry(config) });
    await broken.dispose();

    const result = await postImage(brokenHandler, small, "image/png");
    expect(result.status).toBe(500);
    expect(result.json).toEqual({ error: { code: "INTERNAL_ERROR", message: "internal error" }, requestId: result.requestId });

    const health = await callHandler(brokenHandler, { method: "GET", path: "/health" });
    expect(health.status).toBe(200);
    const clientMistake = await postImage(brokenHandler, Buffer.from("nope"), "text/plain");
    expect(clientMistake.status).toBe(415);
  });
});
