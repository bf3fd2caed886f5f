import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createHandler, type FunctionUrlHandler } from "../handler/app.js";
import { Classifier, type Prediction } from "../handler/classifier.js";
import { type Config, loadConfig } from "../handler/config.js";
import { MAX_STATE_PAYLOAD_BYTES, type MapAnswer, roundScore } from "../handler/direct/answer-size.js";
import type { BatchOperationsResponse } from "../handler/direct/batch-operations.js";
import { MalformedEventError } from "../handler/direct/events.js";
import { createDirectHandler, type DirectHandler } from "../handler/direct/handler.js";
import type { ReadObject } from "../handler/direct/object-scorer.js";
import { UnrecognisedEventError } from "../handler/direct/recognise.js";
import { type ResolveImageSource, resolveInlineSource } from "../handler/image-sources.js";
import { functionS3Reader } from "../handler/s3-source.js";
import { Telemetry } from "../handler/telemetry.js";
import { lambdaContext } from "./support/function-url-event.js";
import { postJson } from "./support/handler-calls.js";
import { S3rverProcess } from "./support/s3rver.js";
import { testImage } from "./support/test-images.js";

let s3: S3rverProcess;
let client: S3Client;
let config: Config;
let classifier: Classifier;
let direct: DirectHandler;
let url: FunctionUrlHandler;
let labelCount: number;
const images: Record<string, Buffer> = {};

/** A context whose remaining time is what `remaining` says when the handler asks. */
const contextWith = (remaining: () => number): Context => ({ ...lambdaContext(), getRemainingTimeInMillis: remaining });

function handlerWith(readObject: ReadObject, resolveSource?: ResolveImageSource, scoring: Classifier = classifier): DirectHandler {
  return createDirectHandler({
    config,
    classifier: scoring,
    telemetry: new Telemetry(config),
    readObject,
    resolveSource: resolveSource ?? ((source) => (source.kind === "s3" ? readObject(source.ref) : resolveInlineSource(source))),
  });
}

beforeAll(async () => {
  s3 = await S3rverProcess.start();
  client = s3.client();
  await s3.createBucket("photos");
  images.jpeg = await testImage("jpeg", 48, 32, 3);
  images.png = await testImage("png", 40, 30, 4);
  const objects: Record<string, Uint8Array> = {
    "2026/a.jpg": images.jpeg,
    "2026/b.png": images.png,
    "2026/my photo.jpg": images.png,
    "2026/notes.txt": Buffer.from("not an image at all"),
    "private/c.jpg": images.jpeg,
  };
  for (const [key, body] of Object.entries(objects)) await client.send(new PutObjectCommand({ Bucket: "photos", Key: key, Body: body }));

  config = loadConfig({ ...process.env, MODEL_DIR: undefined, S3_INPUT_ALLOWLIST: "photos/2026/", MAX_BATCH_IMAGES: "16" });
  classifier = await Classifier.load(config.modelDir, { threads: 1, warmup: false, maxRequestPixels: config.maxRequestPixels });
  labelCount = classifier.manifest.labels.length;
  const readObject = functionS3Reader(config, () => s3.client());
  const resolveSource: ResolveImageSource = (source) => (source.kind === "s3" ? readObject(source.ref) : resolveInlineSource(source));
  direct = handlerWith(readObject, resolveSource);
  url = createHandler({ config, classifier, telemetry: new Telemetry(config), resolveSource });
});

afterAll(async () => {
  client?.destroy();
  await classifier?.dispose();
  await s3?.dispose();
});

const rounded = (predictions: readonly Prediction[]) => predictions.map((p) => ({ label: p.label, score: roundScore(p.score) }));

/** What POST /classify answers for one S3 object, every label, scores rounded like a batch answer. */
async function viaUrl(key: string, topK = labelCount): Promise<Prediction[]> {
  const response = await postJson(url, { s3: { bucket: "photos", key } }, `/classify?top_k=${topK}`);
  expect(response.status, JSON.stringify(response.json)).toBe(200);
  return response.json.predictions;
}

describe("Distributed Map batches", () => {
  // Items as ItemReader's arn:aws:states:::s3:listObjectsV2 hands them over (AWS's documented item shape).
  const listed = (key: string, etag = '"05704fbdccb224cb01c59005bebbad28"') => ({
    Etag: etag,
    Key: key,
    LastModified: 1668699881,
    Size: 2048,
    StorageClass: "STANDARD",
  });

  it("scores listObjectsV2 items, each succeeding or failing alone, in item order, like POST /classify", async () => {
    const event = {
      BatchInput: { bucket: "photos", topK: labelCount },
      Items: [
        listed("2026/a.jpg"),
        listed("2026/missing.jpg"),
        listed("2026/notes.txt"),
        listed("private/c.jpg"),
        listed("2026/b.png", '"d41d8cd98f00b204e9800998ecf8427e"'),
      ],
    };
    const answer = (await direct(event, lambdaContext())) as MapAnswer;
    expect(answer.model).toEqual({ name: classifier.manifest.name, version: classifier.manifest.version });
    expect(answer.truncatedTopK).toBeUndefined();
    expect(answer.results).toEqual([
      { bucket: "photos", key: "2026/a.jpg", etag: '"05704fbdccb224cb01c59005bebbad28"', predictions: rounded(await viaUrl("2026/a.jpg")) },
      { bucket: "photos", key: "2026/missing.jpg", etag: expect.any(String), error: { code: "S3_OBJECT_NOT_FOUND", message: expect.any(String) } },
      { bucket: "photos", key: "2026/notes.txt", etag: expect.any(String), error: { code: "UNSUPPORTED_MEDIA_TYPE", message: expect.any(String) } },
      { bucket: "photos", key: "private/c.jpg", etag: expect.any(String), error: { code: "S3_ACCESS_DENIED", message: expect.stringContaining("outside") } },
      { bucket: "photos", key: "2026/b.png", etag: '"d41d8cd98f00b204e9800998ecf8427e"', predictions: rounded(await viaUrl("2026/b.png")) },
    ]);
  });

  it("scores inventory manifest items and CSV/JSONL rows; the item's Bucket wins over BatchInput's", async () => {
    const event = {
      BatchInput: { bucket: "another-bucket" },
      Items: [
        { Bucket: "photos", Key: "2026/a.jpg", Size: 2048, LastModifiedDate: "2022-11-17T15:44:41.000Z" }, // MANIFEST
        { Bucket: "photos", Key: "2026/b.png" }, // CSV with a Bucket column
        { Key: "2026/a.jpg" }, // JSONL without Bucket: BatchInput's (here not allowlisted)
      ],
    };
    const answer = (await direct(event, lambdaContext())) as MapAnswer;
    expect(answer.results[0]).toEqual({ bucket: "photos", key: "2026/a.jpg", predictions: rounded(await viaUrl("2026/a.jpg", 5)) });
    expect(answer.results[1]).toEqual({ bucket: "photos", key: "2026/b.png", predictions: rounded(await viaUrl("2026/b.png", 5)) });
    expect(answer.results[2]).toMatchObject({ bucket: "another-bucket", key: "2026/a.jpg", error: { code: "S3_ACCESS_DENIED" } });
  });

  it("fails a malformed item alone and refuses a malformed batch as a whole", async () => {
    const answer = (await direct({ BatchInput: { bucket: "photos" }, Items: [{ Key: "2026/a.jpg" }, { key: "lowercase" }, 42, { Key: "" }] })) as MapAnswer;
    expect(answer.results.map((row) => ("error" in row ? row.error.code : "ok"))).toEqual(["ok", "INVALID_REQUEST", "INVALID_REQUEST", "INVALID_REQUEST"]);
    await expect(direct({ Items: [{ Key: "2026/a.jpg" }] })).resolves.toMatchObject({ results: [{ error: { code: "INVALID_REQUEST" } }] });
    await expect(direct({ BatchInput: { bucket: "photos", topK: 0 }, Items: [] })).rejects.toThrow(MalformedEventError);
    await expect(direct({ BatchInput: { bucket: "photos" }, Items: Array.from({ length: 1001 }, () => ({ Key: "2026/a.jpg" })) })).rejects.toThrow(
      /at most 1000 items/,
    );
  });

  it("returns the items left when the deadline comes near as TIMEOUT, with the ones scored before it", async () => {
    const items = Array.from({ length: 40 }, () => ({ Key: "2026/a.jpg" }));
    let classifyCalls = 0;
    const original = classifier.classify.bind(classifier);
    const classify = vi.spyOn(classifier, "classify").mockImplementation((...args) => {
      classifyCalls++;
      return original(...args);
    });
    try {
      // Plenty of time until the first chunk of 16 has been classified, then 1 s: not enough for another chunk.
      const answer = (await direct({ BatchInput: { bucket: "photos" }, Items: items }, contextWith(() => (classifyCalls === 0 ? 60_000 : 1_000)))) as MapAnswer;
      const codes = answer.results.map((row) => ("error" in row ? row.error.code : "ok"));
      expect(codes).toEqual([...Array(16).fill("ok"), ...Array(24).fill("TIMEOUT")]);
      expect(answer.results[39]).toMatchObject({ key: "2026/a.jpg", error: { message: "not scored before the function's deadline" } });
      expect(classifyCalls).toBe(1);
    } finally {
      classify.mockRestore();
    }
    const none = (await direct({ BatchInput: { bucket: "photos" }, Items: items.slice(0, 3) }, contextWith(() => 800))) as MapAnswer;
    expect(none.results.map((row) => ("error" in row ? row.error.code : "ok"))).toEqual(["TIMEOUT", "TIMEOUT", "TIMEOUT"]);
  });

  it("refuses an image for its pixels only when it would be refused alone, not for sharing a chunk", async () => {
    // 1300 pixels per classify call: b.png (40x30) fits alone, a.jpg (48x32) never does.
    const small = await Classifier.load(config.modelDir, { threads: 1, warmup: false, maxRequestPixels: 1300 });
    try {
      const handler = handlerWith(functionS3Reader(config, () => s3.client()), undefined, small);
      const answer = (await handler({ BatchInput: { bucket: "photos" }, Items: ["b.png", "b.png", "a.jpg", "b.png"].map((name) => ({ Key: `2026/${name}` })) })) as MapAnswer;
      expect(answer.results.map((row) => ("error" in row ? row.error.code : "ok"))).toEqual(["ok", "ok", "TOO_MANY_PIXELS", "ok"]);
    } finally {
      await small.dispose();
    }
  });

  it("keeps the answer within 256 KiB for many items with long keys and every label", async () => {
    // 1000 characters in folders of 100: s3rver keeps each key segment as a file name (at most 255 bytes).
    const key = `2026/${`${"k".repeat(99)}/`.repeat(10)}.png`;
    await client.send(new PutObjectCommand({ Bucket: "photos", Key: key, Body: images.png }));
    const items = Array.from({ length: 215 }, () => listed(key));
    const answer = (await direct({ BatchInput: { bucket: "photos", topK: labelCount }, Items: items }, lambdaContext())) as MapAnswer;
    const size = Buffer.byteLength(JSON.stringify(answer));
    expect(size).toBeLessThanOrEqual(MAX_STATE_PAYLOAD_BYTES);
    expect(answer.results).toHaveLength(215);
    // All labels would not fit: every row keeps the same, largest count of predictions that does.
    expect(answer.truncatedTopK).toBeGreaterThanOrEqual(1);
    expect(answer.truncatedTopK).toBeLessThan(labelCount);
    const full = rounded(await viaUrl(key));
    for (const row of answer.results) expect(row).toEqual({ bucket: "photos", key, etag: expect.any(String), predictions: full.slice(0, answer.truncatedTopK) });
  });
});

describe("S3 Batch Operations tasks (invocation schema 2.0)", () => {
  /** AWS's documented sample event, for a key of our bucket. */
  const taskEvent = (s3Key: string, userArguments: Record<string, string> = { k1: "v1", k2: "v2" }, s3VersionId: string | null = null) => ({
    invocationSchemaVersion: "2.0",
    invocationId: "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo",
    job: { id: "f3cc4f60-61f6-4a2b-8a21-d07600c373ce", userArguments },
    tasks: [{ taskId: "dGFza2lkZ29lc2hlcmUK", s3Key, s3VersionId, s3Bucket: "photos" }],
  });

  it("answers a task with AWS's response shape; the URL-encoded key is decoded", async () => {
    const response = (await direct(taskEvent("2026/my%20photo.jpg"), lambdaContext())) as BatchOperationsResponse;
    expect(response).toEqual({
      invocationSchemaVersion: "2.0",
      treatMissingKeysAs: "PermanentFailure",
      invocationId: "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo",
      results: [{ taskId: "dGFza2lkZ29lc2hlcmUK", resultCode: "Succeeded", resultString: expect.any(String) }],
    });
    const expected = rounded(await viaUrl("2026/my photo.jpg", 5));
    expect(JSON.parse(response.results[0]!.resultString)).toEqual({ predictions: expected });
    const plus = (await direct(taskEvent("2026%2Fmy+photo.jpg", { topK: "2" }))) as BatchOperationsResponse;
    expect(JSON.parse(plus.results[0]!.resultString)).toEqual({ predictions: expected.slice(0, 2) });
  });

  it.each([
    ["a missing object", "2026/missing.jpg", "S3_OBJECT_NOT_FOUND"],
    ["an object that is not an image", "2026/notes.txt", "UNSUPPORTED_MEDIA_TYPE"],
    ["an object outside the allowlist", "private/c.jpg", "S3_ACCESS_DENIED"],
  ])("fails %s permanently", async (_what, key, code) => {
    const response = (await direct(taskEvent(encodeURIComponent(key)))) as BatchOperationsResponse;
    expect(response.results[0]!.resultCode).toBe("PermanentFailure");
    expect(JSON.parse(response.results[0]!.resultString)).toEqual({ error: { code, message: expect.any(String) } });
  });

  it("fails a bad topK permanently, and a task near the deadline temporarily (TIMEOUT)", async () => {
    const badTopK = (await direct(taskEvent("2026/a.jpg", { topK: "many" }))) as BatchOperationsResponse;
    expect(badTopK.results[0]).toMatchObject({ resultCode: "PermanentFailure", resultString: expect.stringContaining("INVALID_TOP_K") });
    const late = (await direct(taskEvent("2026/a.jpg"), contextWith(() => 500))) as BatchOperationsResponse;
    expect(late.results[0]!.resultCode).toBe("TemporaryFailure");
    expect(JSON.parse(late.results[0]!.resultString)).toMatchObject({ error: { code: "TIMEOUT" } });
  });

  describe("when S3 is unavailable", () => {
    let slowDown: Server;
    beforeAll(async () => {
      slowDown = createServer((_request, response) => {
        response.writeHead(503, { "content-type": "application/xml" });
        response.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      });
      await new Promise<void>((resolve) => slowDown.listen(0, "127.0.0.1", resolve));
    });
    afterAll(() => new Promise<void>((resolve) => slowDown.close(() => resolve())));

    const clientAt = (endpoint: string) =>
      new S3Client({ endpoint, region: "us-east-1", credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" }, forcePathStyle: true, maxAttempts: 1 });

    it.each([
      ["refuses connections", () => "http://127.0.0.1:9"],
      ["answers 503 SlowDown", () => `http://127.0.0.1:${(slowDown.address() as AddressInfo).port}`],
    ])("fails the task temporarily when S3 %s", async (_what, endpoint) => {
      const unavailable = clientAt(endpoint());
      try {
        const handler = handlerWith(functionS3Reader(config, () => unavailable));
        const response = (await handler(taskEvent("2026/a.jpg"))) as BatchOperationsResponse;
        expect(response.results[0]!.resultCode).toBe("TemporaryFailure");
        expect(JSON.parse(response.results[0]!.resultString)).toMatchObject({ error: { code: "S3_UNAVAILABLE" } });
      } finally {
        unavailable.destroy();
      }
    });
  });

  it("reads the task's version when it names one", async () => {
    const asked: Array<{ key: string; versionId: string | undefined }> = [];
    const handler = handlerWith(async (ref, versionId) => {
      asked.push({ key: ref.key, versionId });
      return images.jpeg!;
    });
    await handler(taskEvent("2026/a.jpg", {}, "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"));
    await handler(taskEvent("2026/b.png"));
    expect(asked).toEqual([
      { key: "2026/a.jpg", versionId: "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo" },
      { key: "2026/b.png", versionId: undefined },
    ]);
  });
});

describe("plain Lambda API invocations", () => {
  const withoutTimings = ({ timings: _timings, ...rest }: Record<string, unknown>) => rest;

  it("answers {s3} and {images} with POST /classify's body", async () => {
    for (const body of [
      { s3: { bucket: "photos", key: "2026/a.jpg" } },
      { s3: [{ bucket: "photos", key: "2026/a.jpg" }, { bucket: "photos", key: "private/c.jpg" }] },
      { images: [images.jpeg!.toString("base64"), "not base64!"] },
    ]) {
      const answer = (await direct({ ...body, topK: 3 }, lambdaContext())) as Record<string, unknown>;
      const viaHttp = await postJson(url, body, "/classify?top_k=3");
      expect(withoutTimings(answer)).toEqual(withoutTimings(viaHttp.json));
      expect(answer.timings).toBeDefined();
    }
  });

  it("answers a client mistake with its error, as POST /classify would, instead of throwing", async () => {
    await expect(direct({ images: [images.jpeg!.toString("base64")], topK: 99 })).resolves.toEqual({
      error: { code: "INVALID_TOP_K", message: expect.any(String) },
    });
    await expect(direct({ s3: { bucket: "photos", key: "2026/a.jpg" }, extra: 1 })).resolves.toMatchObject({ error: { code: "INVALID_REQUEST" } });
    await expect(direct({ images: Array(17).fill("AAAA") })).resolves.toMatchObject({ error: { code: "TOO_MANY_IMAGES" } });
    await expect(direct({ s3: { bucket: "photos", key: "2026/missing.jpg" } })).resolves.toMatchObject({ error: { code: "S3_OBJECT_NOT_FOUND" } });
  });
});

describe("events of no known shape", () => {
  it("throw an UnrecognisedEventError naming the keys seen", async () => {
    const error = await direct({ detail: {}, "detail-type": "Object Created", source: "aws.s3" }).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(UnrecognisedEventError);
    expect((error as Error).message).toMatch(/"detail", "detail-type", "source"/);
    await expect(direct(null)).rejects.toThrow(/got null/);
    await expect(direct([1, 2])).rejects.toThrow(UnrecognisedEventError);
    // The environment lives on: the next event is answered.
    await expect(direct({ images: [images.jpeg!.toString("base64")] })).resolves.toHaveProperty("results");
  });
});
