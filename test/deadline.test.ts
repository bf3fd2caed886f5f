import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler, type FunctionUrlHandler } from "../handler/app.js";
import { Classifier } from "../handler/classifier.js";
import { loadConfig } from "../handler/config.js";
import { assertTimeFor, ImageCostEstimate, INITIAL_IMAGE_COST_MS, RESPONSE_MARGIN_MS } from "../handler/deadline.js";
import { ClientError } from "../handler/errors.js";
import { Telemetry } from "../handler/telemetry.js";
import { functionUrlEvent, lambdaContext } from "./support/function-url-event.js";
import { testImage } from "./support/test-images.js";

describe("ImageCostEstimate", () => {
  it("starts from the initial cost and adds the response margin", () => {
    const estimate = new ImageCostEstimate();
    expect(estimate.perImageMs).toBe(INITIAL_IMAGE_COST_MS);
    expect(estimate.neededMs(4)).toBe(4 * INITIAL_IMAGE_COST_MS + RESPONSE_MARGIN_MS);
  });

  it("rises fast after a slow image and falls slowly after fast ones", () => {
    const estimate = new ImageCostEstimate(100);
    estimate.record(2, 600); // 300 ms per image
    expect(estimate.perImageMs).toBe(200);
    estimate.record(1, 0);
    expect(estimate.perImageMs).toBeCloseTo(180, 10);
  });

  it("ignores measurements without images or with nonsense times", () => {
    const estimate = new ImageCostEstimate(100);
    estimate.record(0, 500);
    estimate.record(1, Number.NaN);
    estimate.record(1, -5);
    expect(estimate.perImageMs).toBe(100);
  });
});

describe("assertTimeFor", () => {
  const estimate = new ImageCostEstimate(100);

  it("passes when the remaining time covers the images and the answer", () => {
    expect(() => assertTimeFor(3, () => 3 * 100 + RESPONSE_MARGIN_MS, estimate)).not.toThrow();
    expect(() => assertTimeFor(3, undefined, estimate)).not.toThrow();
    expect(() => assertTimeFor(0, () => 0, estimate)).not.toThrow();
  });

  it("throws 503 TIMEOUT naming the time left and needed otherwise", () => {
    let error: unknown;
    try {
      assertTimeFor(3, () => 3 * 100 + RESPONSE_MARGIN_MS - 1, estimate);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ClientError);
    expect((error as ClientError).code).toBe("TIMEOUT");
    expect((error as ClientError).status).toBe(503);
    expect((error as ClientError).message).toMatch(/3 images: 549 ms left .*about 550 ms needed/);
  });
});

describe("the handler near Lambda's deadline", () => {
  const config = loadConfig({ ...process.env, MODEL_DIR: undefined });
  let classifier: Classifier;
  let image: Buffer;
  const fresh = (): FunctionUrlHandler => createHandler({ config, classifier, telemetry: new Telemetry(config) });
  const contextWith = (remaining: number) => ({ ...lambdaContext(), getRemainingTimeInMillis: () => remaining });
  const post = (body: string | Buffer, contentType: string) =>
    functionUrlEvent({ method: "POST", path: "/classify", headers: { "content-type": contentType }, body });

  beforeAll(async () => {
    classifier = await Classifier.load(config.modelDir, { threads: 1, warmup: false });
    image = await testImage("jpeg", 64, 48, 3);
  });

  afterAll(async () => {
    await classifier?.dispose();
  });

  it("answers 503 TIMEOUT at once when even one image cannot finish, and classifies it with time to spare", async () => {
    const handler = fresh();
    const late = await handler(post(image, "image/jpeg"), contextWith(5));
    expect(late.statusCode).toBe(503);
    const body = JSON.parse(late.body);
    expect(body.error.code).toBe("TIMEOUT");
    expect(body.error.message).toMatch(/not enough time left to classify 1 image: 5 ms left/);

    const inTime = await handler(post(image, "image/jpeg"), contextWith(30_000));
    expect(inTime.statusCode).toBe(200);
    expect(JSON.parse(inTime.body).predictions.length).toBeGreaterThan(0);
  });

  it("refuses a batch that the remaining time cannot cover, while one image of it still fits", async () => {
    // A fresh handler has measured nothing yet, so its estimate is exactly the initial cost per image.
    const remaining = 2 * INITIAL_IMAGE_COST_MS + RESPONSE_MARGIN_MS;
    const batch = JSON.stringify({ images: Array.from({ length: 3 }, () => image.toString("base64")) });
    const refused = await fresh()(post(batch, "application/json"), contextWith(remaining));
    expect(refused.statusCode).toBe(503);
    expect(JSON.parse(refused.body).error.message).toMatch(/classify 3 images/);

    const single = await fresh()(post(image, "image/jpeg"), contextWith(remaining));
    expect(single.statusCode).toBe(200);
  });

  it("checks again after reading the sources: time spent there (e.g. on S3) can leave too little for decoding", async () => {
    // A clock that has plenty of time at the first look and almost none at the second, as after a slow read.
    const readings = [30_000, 40];
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => readings.shift() ?? 0 };
    const response = await fresh()(post(image, "image/jpeg"), context);
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body).error.message).toMatch(/1 image: 40 ms left/);
    expect(readings).toEqual([]);
  });

  it("checks client mistakes first: a bad request is a 4xx even with no time left", async () => {
    const response = await fresh()(post("", "image/jpeg"), contextWith(0));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error.code).toBe("EMPTY_BODY");
    const health = await fresh()(functionUrlEvent({ method: "GET", path: "/health" }), contextWith(0));
    expect(health.statusCode).toBe(200);
  });
});
