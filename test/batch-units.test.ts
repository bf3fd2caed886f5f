import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBatchArgs, UsageError } from "../scripts/tools/batch/args.js";
import { DEFAULT_BACKOFF, fullJitterDelay, RetryCounter } from "../scripts/tools/batch/backoff.js";
import { FullJitterRetryStrategy } from "../scripts/tools/batch/sdk-retry-strategy.js";
import { createFormat, parseCsv } from "../scripts/tools/batch/formats.js";
import { inputIdentity, listLocalImages } from "../scripts/tools/batch/inputs.js";
import type { BatchRecord } from "../scripts/tools/batch/record.js";
import { openFileSink } from "../scripts/tools/batch/sinks.js";
import { isTransientError } from "../scripts/tools/batch/resume.js";
import { RunStats } from "../scripts/tools/batch/stats.js";
import { classifyEndpoint, FunctionUrlTarget } from "../scripts/tools/batch/targets/function-url.js";
import { InsecureSigningError } from "../scripts/shared/sigv4.js";

const s3Record = (key: string, etag = '"e1"', extra: Partial<BatchRecord> = {}): BatchRecord => ({
  bucket: "bkt",
  key,
  etag,
  size: 10,
  model: { name: "m", version: "1" },
  latencyMs: 1,
  predictions: [
    { label: "a", score: 0.75 },
    { label: "b, \"quoted\"", score: 0.25 },
  ],
  ...extra,
});

describe("batch arguments", () => {
  const base = ["--input", "s3://bkt/p/", "--output", "out.jsonl"];

  it("reads every option", () => {
    const options = parseBatchArgs(
      [...base, "--target", "https://abc.lambda-url.eu-west-1.on.aws/", "--by-reference", "--concurrency", "3", "--top-k", "2", "--limit", "10", "--resume", "--retries", "0", "--timeout", "5"],
      {},
    )!;
    expect(options).toMatchObject({ format: "jsonl", byReference: true, concurrency: 3, topK: 2, limit: 10, resume: true, timeoutMs: 5000 });
    expect(options.backoff.maxAttempts).toBe(1);
    expect(options.target).toBeInstanceOf(URL);
    expect(parseBatchArgs([...base, "--workers", "2"], {})).toMatchObject({ target: "local", workers: 2, concurrency: 6 });
    expect(parseBatchArgs(["--help"])).toBeUndefined();
    expect(parseBatchArgs([...base, "--resume", "--retry-errors"], {})).toMatchObject({ resume: true, retryErrors: true });
    expect(parseBatchArgs([...base, "--resume"], {})).toMatchObject({ resume: true, retryErrors: false });
    expect(parseBatchArgs(base, {})!.maxBytes).toBe(20 * 1024 * 1024);
    expect(parseBatchArgs([...base, "--max-bytes", "1000"], {})!.maxBytes).toBe(1000);
  });

  it.each([
    [["--output", "o.jsonl"], /--input is required/],
    [["--input", "d"], /--output is required/],
    [["--input", "d", "--output", "o.txt"], /cannot tell the format/],
    [["--input", "d", "--output", "s3://bucket"], /names a bucket/],
    [[...base, "--format", "xml"], /--format must be jsonl or csv/],
    [[...base, "--workers", "0"], /--workers must be a positive integer/],
    [[...base, "--top-k", "two"], /--top-k must be a positive integer/],
    [[...base, "--target", "ftp://x"], /http or https/],
    [[...base, "--target", "not a url"], /"local" or an http\(s\) URL/],
    [[...base, "--by-reference"], /needs a function URL/],
    [["--input", "dir", "--output", "o.csv", "--target", "http://127.0.0.1:9000", "--by-reference"], /needs S3 input/],
    [[...base, "--bogus"], /Unknown option '--bogus'/],
    [[...base, "--retry-errors"], /--retry-errors needs --resume/],
    [[...base, "--max-bytes", "0"], /--max-bytes must be a positive integer/],
    [[...base, "--target", "http://abc.lambda-url.eu-west-1.on.aws/"], /refusing to SigV4-sign a request to http:\/\/abc\.lambda-url\.eu-west-1\.on\.aws: over plain http/],
  ])("rejects %j with a usage error", (argv, message) => {
    expect(() => parseBatchArgs(argv as string[], {})).toThrow(UsageError);
    expect(() => parseBatchArgs(argv as string[], {})).toThrow(message);
  });
});

describe("output formats", () => {
  it("CSV lines survive commas, quotes and newlines in keys and messages, and resume finds them", () => {
    const csv = createFormat("csv", "s3", 2);
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (key, message) => {
        const ok = s3Record(key);
        const failed = s3Record(`${key}-x`, '"e2"', { predictions: undefined, error: { code: "INVALID_IMAGE", message } });
        const text = csv.header! + csv.line(ok) + csv.line(failed);
        const { rows, completeLength } = parseCsv(text);
        expect(completeLength).toBe(text.length);
        expect(rows[1]!.slice(0, 3)).toEqual(["bkt", key, '"e1"']);
        expect(rows[1]!.slice(9)).toEqual(["a", "0.75", 'b, "quoted"', "0.25"]);
        expect(rows[2]![8]).toBe(message);
        const existing = csv.readExisting(text);
        expect(existing.identities).toEqual(
          new Set([inputIdentity({ kind: "s3", bucket: "bkt", key, etag: '"e1"' }), inputIdentity({ kind: "s3", bucket: "bkt", key: `${key}-x`, etag: '"e2"' })]),
        );
      }),
      { numRuns: 200 },
    );
  });

  it("CSV neutralises formulas (OWASP: a leading = + - @ tab or CR gets a quote prefix inside a quoted field); resume reads the keys back", () => {
    const csv = createFormat("csv", "s3", 2);
    const jsonl = createFormat("jsonl", "s3", 2);
    const key = '=HYPERLINK("http://evil.example","click")';
    const record = s3Record(key, '"e1"', {
      predictions: undefined,
      model: { name: "@model", version: "-1" },
      error: { code: "+CODE", message: "-2+3" },
    });
    const line = csv.line(record);
    expect(line).toBe(`bkt,"'=HYPERLINK(""http://evil.example"",""click"")","""e1""",10,"'@model","'-1",1,"'+CODE","'-2+3",,,,\n`);
    expect(jsonl.line(record)).toContain(`"key":${JSON.stringify(key)}`);
    expect(csv.line(s3Record("a.jpg", '"e1"', { predictions: [{ label: "x", score: -0.5 }] }))).toContain(",x,-0.5,");

    fc.assert(
      fc.property(fc.constantFrom("=", "+", "-", "@", "\t", "\r", "'"), fc.string(), (lead, rest) => {
        const dangerous = lead + rest;
        const text = csv.header! + csv.line(s3Record(dangerous, '"e1"', { error: { code: "X", message: dangerous }, predictions: undefined }));
        expect(text.split("\n")[1]!.startsWith(`bkt,"'${lead}`)).toBe(true);
        const { rows } = parseCsv(text);
        expect(rows[1]![1]).toBe(dangerous);
        expect(rows[1]![8]).toBe(dangerous);
        expect([...csv.readExisting(text).identities]).toEqual([inputIdentity({ kind: "s3", bucket: "bkt", key: dangerous, etag: '"e1"' })]);
      }),
      { numRuns: 200 },
    );
  });

  it("a torn last line is not counted as done, for JSONL and CSV", () => {
    for (const format of [createFormat("jsonl", "s3", 2), createFormat("csv", "s3", 2)]) {
      const whole = (format.header ?? "") + format.line(s3Record("a.jpg"));
      const torn = format.line(s3Record("b.jpg"));
      const existing = format.readExisting(whole + torn.slice(0, torn.length - 5));
      expect(existing.completeLength).toBe(whole.length);
      expect([...existing.identities]).toEqual([inputIdentity({ kind: "s3", bucket: "bkt", key: "a.jpg", etag: '"e1"' })]);
    }
  });

  it("the same key with another ETag is another input", () => {
    const jsonl = createFormat("jsonl", "s3", 2);
    const existing = jsonl.readExisting(jsonl.line(s3Record("a.jpg", '"old"')));
    expect(existing.identities.has(inputIdentity({ kind: "s3", bucket: "bkt", key: "a.jpg", etag: '"new"' }))).toBe(false);
  });
});

describe("resume and error lines", () => {
  it.each(["TIMEOUT", "TARGET_UNREACHABLE", "S3_UNAVAILABLE", "WORKER_CRASHED", "HTTP_429", "HTTP_500", "HTTP_503", "INTERNAL_ERROR"])(
    "%s is transient",
    (code) => expect(isTransientError(code)).toBe(true),
  );
  it.each(["INVALID_IMAGE", "UNSUPPORTED_MEDIA_TYPE", "S3_OBJECT_NOT_FOUND", "S3_ACCESS_DENIED", "S3_OBJECT_CHANGED", "S3_OBJECT_TOO_LARGE", "IMAGE_TOO_LARGE", "READ_ERROR", "INPUT_TOO_LARGE", "HTTP_404", "HTTP_413", "THROTTLED_BY_SOMEONE"])(
    "%s is permanent",
    (code) => expect(isTransientError(code)).toBe(false),
  );

  const failed = (key: string, code: string) => s3Record(key, '"e1"', { predictions: undefined, error: { code, message: `${code} happened` } });
  const identity = (key: string) => inputIdentity({ kind: "s3", bucket: "bkt", key, etag: '"e1"' });

  for (const name of ["jsonl", "csv"] as const) {
    it(`${name}: a resumed file sink drops transient error lines, keeps the rest in order, and ends with each input once`, async () => {
      const dir = await mkdtemp(join(tmpdir(), "batch-resume-"));
      try {
        const path = join(dir, `out.${name}`);
        const format = createFormat(name, "s3", 2);
        const first = await openFileSink(path, format, false);
        for (const record of [s3Record("=a.jpg"), failed("b.jpg", "TIMEOUT"), failed("c.jpg", "INVALID_IMAGE"), failed("d.jpg", "HTTP_503"), s3Record("e.jpg")]) {
          await first.write(record);
        }
        await first.close();
        const before = await readFile(path, "utf8");

        const resumed = await openFileSink(path, format, true);
        expect(resumed.dropped).toBe(2);
        expect(resumed.done).toEqual(new Set(["=a.jpg", "c.jpg", "e.jpg"].map(identity)));
        const lines = before.split("\n");
        const kept = (format.header ? [lines[0]] : []).concat(lines.filter((line) => /a\.jpg|c\.jpg|e\.jpg/.test(line)));
        expect(await readFile(path, "utf8")).toBe(`${kept.join("\n")}\n`);
        await resumed.write(s3Record("b.jpg"));
        await resumed.write(failed("d.jpg", "HTTP_503"));
        await resumed.close();

        const again = await openFileSink(path, format, true, (line) => line.errorCode === "INVALID_IMAGE");
        expect(again.dropped).toBe(1);
        expect(again.done).toEqual(new Set(["=a.jpg", "b.jpg", "d.jpg", "e.jpg"].map(identity)));
        await again.write(s3Record("c.jpg"));
        await again.close();
        expect([...format.readExisting(await readFile(path, "utf8")).lines].filter((line) => line.identity).map((line) => line.identity)).toEqual(
          ["=a.jpg", "e.jpg", "b.jpg", "d.jpg", "c.jpg"].map(identity),
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});

describe("local files", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "batch-units-"));
    await mkdir(join(dir, "in", "deep", "er"), { recursive: true });
    for (const name of ["b.JPG", "a.png", "deep/c.webp", "deep/er/d.tiff", "notes.txt", "deep/e.json"]) {
      await writeFile(join(dir, "in", name), name);
    }
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("lists image files recursively, sorted, with mtime and size", async () => {
    const items = await listLocalImages(join(dir, "in"));
    expect(items.map((item) => (item.kind === "file" ? item.path.slice(dir.length + 4) : ""))).toEqual([
      "a.png",
      "b.JPG",
      "deep/c.webp",
      "deep/er/d.tiff",
    ]);
    expect(items[0]).toMatchObject({ kind: "file", size: "a.png".length });
    expect(items.every((item) => item.kind === "file" && !Number.isNaN(Date.parse(item.mtime)))).toBe(true);
  });

  it("a resumed file sink cuts a torn last line and appends after the complete ones", async () => {
    const path = join(dir, "out.csv");
    const format = createFormat("csv", "s3", 2);
    const first = await openFileSink(path, format, false);
    await first.write(s3Record("a.jpg"));
    await first.close();
    await writeFile(path, (await readFile(path, "utf8")) + "bkt,b.jpg,\"e1");

    const resumed = await openFileSink(path, format, true);
    expect([...resumed.done]).toEqual([inputIdentity({ kind: "s3", bucket: "bkt", key: "a.jpg", etag: '"e1"' })]);
    await resumed.write(s3Record("b.jpg"));
    await resumed.close();
    const { rows, completeLength } = parseCsv(await readFile(path, "utf8"));
    expect(rows.map((row) => row[1])).toEqual(["key", "a.jpg", "b.jpg"]);
    expect(completeLength).toBe((await readFile(path, "utf8")).length);

    await expect(openFileSink(path, createFormat("csv", "s3", 3), true)).rejects.toThrow(/same --top-k/);
  });
});

describe("retry timing and URLs", () => {
  it("full jitter stays within [0, min(max, base·2^(n-1)))", () => {
    const options = { maxAttempts: 9, baseDelayMs: 200, maxDelayMs: 10_000 };
    expect(fullJitterDelay(1, options, () => 0.999999)).toBe(199);
    expect(fullJitterDelay(3, options, () => 0.5)).toBe(400);
    expect(fullJitterDelay(20, options, () => 0.999999)).toBe(9999);
    expect(fullJitterDelay(4, options, () => 0)).toBe(0);
  });

  it("the SDK retry strategy retries throttling, transient and server errors up to the attempt limit, never client errors", async () => {
    const counter = new RetryCounter();
    const strategy = new FullJitterRetryStrategy({ maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 150 }, counter);
    const first = await strategy.acquireInitialRetryToken();
    await expect(strategy.refreshRetryTokenForRetry(first, { errorType: "CLIENT_ERROR" })).rejects.toThrow();
    const second = await strategy.refreshRetryTokenForRetry(first, { errorType: "THROTTLING" });
    expect(second.getRetryCount()).toBe(1);
    expect(second.getRetryDelay()).toBeLessThan(100);
    const third = await strategy.refreshRetryTokenForRetry(second, { errorType: "SERVER_ERROR" });
    expect(third.getRetryDelay()).toBeLessThan(150);
    await expect(strategy.refreshRetryTokenForRetry(third, { errorType: "TRANSIENT" })).rejects.toThrow();
    expect(counter.count).toBe(2);
  });

  it("a function URL target signs over https only; plain http is sent unsigned, to any host", () => {
    const target = (url: string) => new FunctionUrlTarget({ url, topK: 1, byReference: false, backoff: DEFAULT_BACKOFF, timeoutMs: 1000 });
    expect(() => target("http://abc.lambda-url.eu-west-1.on.aws/")).toThrow(InsecureSigningError);
    expect(target("https://abc.lambda-url.eu-west-1.on.aws/").description).toContain("SigV4");
    expect(target("http://10.0.0.1:9000/").description).not.toContain("SigV4");
  });

  it("posts to /classify with top_k", () => {
    expect(classifyEndpoint("http://127.0.0.1:9000", 3).href).toBe("http://127.0.0.1:9000/classify?top_k=3");
    expect(classifyEndpoint("https://h.example/custom/path", 1).href).toBe("https://h.example/custom/path?top_k=1");
  });
});

describe("run statistics", () => {
  it("counts ok and errors by code; latency percentiles are nearest-rank, NaN before the first image", () => {
    const stats = new RunStats();
    expect(stats.percentile(50)).toBeNaN();
    [40, 10, 30, 20].forEach((ms, i) => stats.record(i === 3 ? "INVALID_IMAGE" : undefined, ms));
    expect([stats.ok, stats.errors, stats.done]).toEqual([3, 1, 4]);
    expect(stats.errorsByCode.get("INVALID_IMAGE")).toBe(1);
    expect([stats.percentile(50), stats.percentile(95), stats.percentile(0)]).toEqual([20, 40, 10]);
  });
});
