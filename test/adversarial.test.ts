import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHandler, type FunctionUrlHandler } from "../handler/app.js";
import { Classifier, type Prediction } from "../handler/classifier.js";
import { loadConfig } from "../handler/config.js";
import { type ErrorCode, errorStatus, MAX_ERROR_MESSAGE_LENGTH } from "../handler/errors.js";
import { Telemetry } from "../handler/telemetry.js";
import { lambdaContext } from "./support/function-url-event.js";
import { postImage } from "./support/handler-calls.js";
import { buildMalformedCorpus, type MalformedCase } from "./support/malformed-corpus.js";
import { testImage } from "./support/test-images.js";

// One handler instance for the whole corpus: whatever a case does to it, the next good request must still be right.
const config = loadConfig({ ...process.env, MODEL_DIR: undefined });
const MAX_ERROR_MESSAGE = MAX_ERROR_MESSAGE_LENGTH;
let classifier: Classifier;
let handler: FunctionUrlHandler;
let corpus: MalformedCase[];
let goodImage: Buffer;
let baseline: Prediction[];
let labels: Set<string>;
const statusesSeen = new Map<string, Map<number, number>>();

beforeAll(async () => {
  classifier = await Classifier.load(config.modelDir, { threads: 1, maxPixels: config.maxImagePixels, warmup: false });
  handler = createHandler({ config, classifier, telemetry: new Telemetry(config), initializationType: "on-demand" });
  labels = new Set(classifier.manifest.labels);
  corpus = await buildMalformedCorpus({ labelCount: labels.size, maxBatchImages: config.maxBatchImages });
  goodImage = await testImage("jpeg", 64, 48, 5);
  const first = await postImage(handler, goodImage, "image/jpeg", `/classify?top_k=${labels.size}`);
  expect(first.status).toBe(200);
  baseline = first.json.predictions;
}, 120_000);

afterAll(async () => {
  await classifier?.dispose();
  const lines = [...statusesSeen].map(([category, counts]) => {
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    const statuses = [...counts].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(" ");
    return `  ${category.padEnd(36)} ${String(total).padStart(4)}  ${statuses}`;
  });
  if (lines.length) console.log(`adversarial corpus: ${corpus.length} inputs\n${lines.join("\n")}`);
});

function checkPredictions(predictions: unknown, count: number, problems: string[]): void {
  if (!Array.isArray(predictions) || predictions.length !== count) {
    problems.push(`expected ${count} predictions, got ${JSON.stringify(predictions)?.slice(0, 200)}`);
    return;
  }
  let previous = Number.POSITIVE_INFINITY;
  for (const p of predictions as Prediction[]) {
    if (!labels.has(p.label) || !(p.score >= 0 && p.score <= 1) || p.score > previous) {
      problems.push(`bad prediction ${JSON.stringify(p)}`);
    }
    previous = p.score;
  }
}

/** Runs one case and returns what is wrong with the answer (empty when it is exactly as declared). */
async function runCase(item: MalformedCase): Promise<string[]> {
  const problems: string[] = [];
  const event = item.event();
  let response;
  try {
    response = await handler(event, lambdaContext());
  } catch (error) {
    return [`threw ${(error as Error).stack}`];
  }
  const counts = statusesSeen.get(item.category) ?? new Map<number, number>();
  counts.set(response.statusCode, (counts.get(response.statusCode) ?? 0) + 1);
  statusesSeen.set(item.category, counts);

  let body: any;
  try {
    body = JSON.parse(response.body);
  } catch {
    return [`status ${response.statusCode}, body is not JSON: ${String(response.body).slice(0, 200)}`];
  }
  if (response.headers["content-type"] !== "application/json") problems.push(`content-type ${response.headers["content-type"]}`);
  const { expected } = item;
  if (response.statusCode !== expected.status) {
    problems.push(`status ${response.statusCode} (expected ${expected.status}): ${response.body.slice(0, 300)}`);
    return problems;
  }
  if ("code" in expected) {
    if (errorStatus[expected.code] !== expected.status) problems.push(`the case pairs ${expected.code} with ${expected.status}`);
    if (body?.error?.code !== expected.code) problems.push(`code ${body?.error?.code} (expected ${expected.code}): ${body?.error?.message}`);
    const message = body?.error?.message;
    if (typeof message !== "string" || message.length === 0 || message.length > MAX_ERROR_MESSAGE) {
      problems.push(`error message missing or over ${MAX_ERROR_MESSAGE} characters (${String(message).length})`);
    } else if (/\n\s+at /.test(message)) {
      problems.push("error message holds a stack trace");
    }
    if (body.requestId !== event.requestContext.requestId) problems.push(`requestId ${body.requestId}`);
    return problems;
  }
  if (expected.other) return problems;
  if (expected.items) {
    const results: any[] = body.results ?? [];
    if (results.length !== expected.items.length) problems.push(`${results.length} results, expected ${expected.items.length}`);
    expected.items.forEach((want, i) => {
      const got = results[i];
      if (want === "ok") checkPredictions(got?.predictions, config.topKDefault, problems);
      else if (got?.error?.code !== want) problems.push(`result ${i}: ${JSON.stringify(got)?.slice(0, 200)} (expected ${want})`);
    });
    return problems;
  }
  checkPredictions(body.predictions, expected.predictions ?? Math.min(config.topKDefault, labels.size), problems);
  return problems;
}

async function runCategory(category: string): Promise<void> {
  const cases = corpus.filter((item) => item.category === category);
  expect(cases.length).toBeGreaterThan(0);
  const failures: string[] = [];
  for (const item of cases) {
    const problems = await runCase(item);
    // The same handler must still answer a good image exactly as before.
    const after = await postImage(handler, goodImage, "image/jpeg", `/classify?top_k=${labels.size}`);
    if (after.status !== 200 || JSON.stringify(after.json.predictions) !== JSON.stringify(baseline)) {
      problems.push(`the good image afterwards got ${after.status} ${JSON.stringify(after.json).slice(0, 200)}`);
    }
    if (problems.length) failures.push(`${item.name}: ${problems.join("; ")}`);
  }
  expect(failures).toEqual([]);
}

const categories = [
  "empty",
  "random bytes behind a magic number",
  "truncated",
  "decompression bomb",
  "animated",
  "valid but unusual",
  "EXIF orientation",
  "SVG",
  "HEIC",
  "lying content type",
  "invalid base64",
  "JSON abuse",
  "multipart",
  "headers",
  "top_k",
];

describe("adversarial corpus against one handler instance", () => {
  it("has at least 200 inputs, each in a known category, with unique names", () => {
    expect(corpus.length).toBeGreaterThanOrEqual(200);
    expect(new Set(corpus.map((item) => item.category))).toEqual(new Set(categories));
    expect(new Set(corpus.map((item) => item.name)).size).toBe(corpus.length);
  });

  it.each(categories)("%s: exactly the declared status and code, never a 5xx, and the next good image is unaffected", async (category) => {
    await runCategory(category);
  });

  it("left no polluted prototype behind", () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty("image");
    expect(Object.prototype).not.toHaveProperty("length");
  });

  it("declares only codes the error table knows", () => {
    for (const item of corpus) if ("code" in item.expected) expect(Object.keys(errorStatus)).toContain(item.expected.code as ErrorCode);
  });
});
