import { describe, expect, it } from "vitest";
import { fitAnswer, type MapRow, roundScore, TOO_LARGE_ERROR } from "../handler/direct/answer-size.js";
import { decodeTaskKey, resultCodeOf } from "../handler/direct/batch-operations.js";
import { isFunctionUrlEvent, recogniseEvent, UnrecognisedEventError } from "../handler/direct/recognise.js";
import { MAX_RESULT_STRING_BYTES, resultString } from "../handler/direct/result-string.js";
import { ClientError, MAX_ERROR_MESSAGE_LENGTH } from "../handler/errors.js";
import type { Classifier } from "../handler/classifier.js";
import { loadConfig } from "../handler/config.js";
import { createDirectHandler } from "../handler/direct/handler.js";
import { resolveInlineSource } from "../handler/image-sources.js";
import { Telemetry } from "../handler/telemetry.js";
import { functionUrlEvent, lambdaContext } from "./support/function-url-event.js";
import { capturedWrites } from "./support/telemetry-handler.js";

const model = { name: "m", version: "1" };
const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
const predictions = (count: number) => Array.from({ length: count }, (_, i) => ({ label: `label-${i}`, score: 1 / (i + 3) }));
const scored = (key: string, count: number): MapRow => ({ bucket: "photos", key, predictions: predictions(count) });

describe("recognising an event by its shape", () => {
  it("tells the four kinds apart", () => {
    expect(recogniseEvent(functionUrlEvent({ method: "GET", path: "/health" }))).toBe("function-url");
    expect(recogniseEvent({ invocationSchemaVersion: "2.0", invocationId: "x", job: {}, tasks: [] })).toBe("batch-operations");
    expect(recogniseEvent({ BatchInput: {}, Items: [] })).toBe("distributed-map");
    expect(recogniseEvent({ Items: [{ Key: "a" }] })).toBe("distributed-map");
    expect(recogniseEvent({ s3: { bucket: "b", key: "k" } })).toBe("plain");
    expect(recogniseEvent({ images: [] })).toBe("plain");
    expect(isFunctionUrlEvent({ requestContext: {} })).toBe(false);
  });

  it("names what it saw when it knows none of them", () => {
    expect(() => recogniseEvent({ Records: [] })).toThrow(UnrecognisedEventError);
    expect(() => recogniseEvent({ Records: [] })).toThrow(/keys "Records"/);
    expect(() => recogniseEvent({ Items: "not a list" })).toThrow(/keys "Items"/);
    expect(() => recogniseEvent({})).toThrow(/keys none/);
    expect(() => recogniseEvent("text")).toThrow(/got a string/);
    const many = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, i]));
    expect(() => recogniseEvent(many)).toThrow(/and 5 more/);
  });
});

describe("a Distributed Map answer within 256 KiB", () => {
  it("rounds scores to 6 significant digits and leaves an answer that fits as it is", () => {
    expect(roundScore(0.123456789)).toBe(0.123457);
    expect(roundScore(1.23456789e-9)).toBe(1.23457e-9);
    const answer = fitAnswer(model, [scored("a", 3), { bucket: "photos", key: "b", error: { code: "INVALID_IMAGE", message: "bad" } }]);
    expect(answer.truncatedTopK).toBeUndefined();
    expect(answer.results[0]).toEqual({ bucket: "photos", key: "a", predictions: predictions(3).map((p) => ({ ...p, score: roundScore(p.score) })) });
  });

  it("cuts every row to the most predictions that fit", () => {
    const rows = Array.from({ length: 100 }, (_, i) => scored(`key-${i}`, 10));
    const atFour = size(fitAnswer(model, rows.map((row) => ({ ...row, predictions: (row as { predictions: unknown[] }).predictions.slice(0, 4) })) as MapRow[]));
    const limit = atFour + '"truncatedTopK":4,'.length;
    const answer = fitAnswer(model, rows, limit);
    expect(answer.truncatedTopK).toBe(4);
    expect(size(answer)).toBe(limit);
    expect(answer.results.every((row) => "predictions" in row && row.predictions.length === 4)).toBe(true);
  });

  it("as a last resort turns rows from the end into errors without their keys rather than exceed", () => {
    const rows = Array.from({ length: 50 }, (_, i) => scored(`${"k".repeat(200)}-${i}`, 2));
    const limit = 8000;
    const answer = fitAnswer(model, rows, limit);
    expect(size(answer)).toBeLessThanOrEqual(limit);
    expect(answer.truncatedTopK).toBe(1);
    expect(answer.results).toHaveLength(50);
    const firstBare = answer.results.findIndex((row) => !("key" in row));
    expect(firstBare).toBeGreaterThan(0);
    expect(answer.results.slice(0, firstBare).every((row) => "predictions" in row && row.predictions.length === 1)).toBe(true);
    expect(answer.results.slice(firstBare).every((row) => JSON.stringify(row) === JSON.stringify({ error: TOO_LARGE_ERROR }))).toBe(true);
    // Not one row more than needed was given up.
    const restored = [...answer.results];
    restored[firstBare] = { ...rows[firstBare]!, predictions: (answer.results[0] as { predictions: unknown[] }).predictions } as MapRow;
    expect(size({ ...answer, results: restored })).toBeGreaterThan(limit);
  });
});

describe("S3 Batch Operations results", () => {
  it("decodes the URL-encoded key, + as a space", () => {
    expect(decodeTaskKey("my%20photo.jpg")).toBe("my photo.jpg");
    expect(decodeTaskKey("2026%2Fmy+photo%2B1.jpg")).toBe("2026/my photo+1.jpg");
    expect(() => decodeTaskKey("bad%E0%A4%A")).toThrow(URIError);
  });

  it("fails client mistakes permanently, S3 unavailability and the deadline temporarily", () => {
    const failed = (code: ConstructorParameters<typeof ClientError>[0]) => ({ ok: false as const, error: new ClientError(code, "x") });
    expect(resultCodeOf({ ok: true, predictions: [] })).toBe("Succeeded");
    for (const code of ["INVALID_IMAGE", "S3_OBJECT_NOT_FOUND", "S3_ACCESS_DENIED", "S3_OBJECT_TOO_LARGE", "TOO_MANY_PIXELS"] as const) {
      expect(resultCodeOf(failed(code))).toBe("PermanentFailure");
    }
    expect(resultCodeOf(failed("S3_UNAVAILABLE"))).toBe("TemporaryFailure");
    expect(resultCodeOf(failed("TIMEOUT"))).toBe("TemporaryFailure");
  });

  it("keeps resultString within 1 KiB", () => {
    const many = resultString({ ok: true, predictions: predictions(100) });
    expect(Buffer.byteLength(many)).toBeLessThanOrEqual(MAX_RESULT_STRING_BYTES);
    expect(JSON.parse(many).predictions.length).toBeGreaterThan(5);
    const long = resultString({ ok: false, error: new ClientError("S3_OBJECT_NOT_FOUND", "é".repeat(MAX_ERROR_MESSAGE_LENGTH)) });
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(MAX_RESULT_STRING_BYTES);
    expect(JSON.parse(long).error.code).toBe("S3_OBJECT_NOT_FOUND");
    expect(JSON.parse(long).error.message).toMatch(/^é+…$/);
  });
});

describe("a direct invocation's log line", () => {
  it("counts the items, and names the error of an invocation that failed", async () => {
    const config = loadConfig({ ...process.env, MODEL_DIR: undefined, POWERTOOLS_LOG_LEVEL: "INFO" });
    // No object is readable, so nothing reaches the classifier: its manifest is all the handler uses.
    const classifier = { manifest: { name: "m", version: "1", labels: ["a", "b"] } } as unknown as Classifier;
    const direct = createDirectHandler({
      config,
      classifier,
      telemetry: new Telemetry(config),
      readObject: async (ref) => {
        throw new ClientError(ref.key === "slow.jpg" ? "S3_UNAVAILABLE" : "S3_ACCESS_DENIED", "no");
      },
      resolveSource: resolveInlineSource,
    });
    const written = await capturedWrites([process.stdout, process.stderr], async () => {
      await direct({ BatchInput: { bucket: "photos" }, Items: [{ Key: "a.jpg" }, { Key: "slow.jpg" }, { Key: "b.jpg" }] }, lambdaContext("inv-1"));
      await direct({ Records: [] }, lambdaContext("inv-2")).catch(() => undefined);
    });
    const lines = written
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .filter((line) => line.message === "direct invocation");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      invocationId: "inv-1",
      kind: "distributed-map",
      items: 3,
      ok: 0,
      failed: 3,
      timedOut: 0,
      itemErrorCodes: { S3_ACCESS_DENIED: 2, S3_UNAVAILABLE: 1 },
    });
    expect(JSON.stringify(lines[0])).not.toContain("a.jpg");
    expect(lines[1]).toMatchObject({ invocationId: "inv-2", kind: "unrecognised", level: "ERROR", errorName: "UnrecognisedEventError" });
  });
});
