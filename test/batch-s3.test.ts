import { appendFile, mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Classifier } from "../handler/classifier.js";
import { DEFAULT_BACKOFF } from "../scripts/tools/batch/backoff.js";
import { parseCsv } from "../scripts/tools/batch/formats.js";
import { listS3Images } from "../scripts/tools/batch/inputs.js";
import type { BatchRecord } from "../scripts/tools/batch/record.js";
import { createBatchS3Client } from "../scripts/tools/batch/s3.js";
import { repoRoot, runBatchCli, type ServeChild, spawnScript, startServeChild } from "./support/processes.js";
import { S3rverProcess } from "./support/s3rver.js";
import { noisePixels, testImage } from "./support/test-images.js";

const modelDir = join(repoRoot, "model");
let s3: S3rverProcess;
let client: S3Client;
let work: string;

const tinyJpeg = (seed: number) => testImage("jpeg", 24, 16, seed);

async function put(bucket: string, key: string, body: Uint8Array | string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

/** Runs `work` over `items` with at most `limit` at once (uploads of 1000+ objects). */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

async function readLines(path: string): Promise<BatchRecord[]> {
  const text = await readFile(path, "utf8");
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line) as BatchRecord);
}

async function readObject(bucket: string, key: string): Promise<string> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return response.Body!.transformToString();
}

const keyOf = (record: BatchRecord) => ("key" in record ? record.key : record.path);
const batch = (args: string[], env: Record<string, string> = {}) => runBatchCli(args, { ...s3.env, ...env });

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const lineCount = async (path: string) => {
  try {
    return (await readFile(path, "utf8")).split("\n").filter(Boolean).length;
  } catch {
    return 0;
  }
};

beforeAll(async () => {
  s3 = await S3rverProcess.start();
  Object.assign(process.env, s3.env);
  client = s3.client();
  work = await mkdtemp(join(tmpdir(), "batch-s3-"));
  for (const bucket of ["listing", "mixed", "out", "runs"]) await s3.createBucket(bucket);
});

afterAll(async () => {
  client?.destroy();
  await s3?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("S3 listing", () => {
  it("lists a prefix of more than 1000 objects across pages, images only, and --limit scores the first N", async () => {
    const body = await tinyJpeg(1);
    const keys = Array.from({ length: 1003 }, (_, i) => `many/${String(i).padStart(5, "0")}.jpg`);
    await inParallel([...keys, "many/notes.txt", "many/zz/data.json"], 24, (key) => put("listing", key, body));

    const lister = createBatchS3Client(DEFAULT_BACKOFF, 4);
    try {
      const items = await listS3Images(lister, { bucket: "listing", key: "many/" });
      expect(items.map((item) => (item.kind === "s3" ? item.key : ""))).toEqual(keys);
      expect(items.every((item) => item.kind === "s3" && item.size === body.length && item.etag.length > 0)).toBe(true);
    } finally {
      lister.destroy();
    }

    const output = join(work, "limit.jsonl");
    const run = await batch(["--input", "s3://listing/many/", "--output", output, "--limit", "7", "--workers", "1"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("1003 listed");
    const records = await readLines(output);
    expect(records.map(keyOf).sort()).toEqual(keys.slice(0, 7)); // lines come in completion order
    expect(records.every((record) => record.predictions?.length === 5)).toBe(true);
  });
});

describe("mixed objects, local target", () => {
  const valid: Record<string, Buffer> = {};
  const localOutput = () => join(work, "mixed.jsonl");
  let localRun: Awaited<ReturnType<typeof batch>>;
  let jsonl: BatchRecord[];

  beforeAll(async () => {
    valid["mixed/a.jpg"] = await testImage("jpeg", 48, 32, 11);
    valid["mixed/b.png"] = await testImage("png", 40, 40, 12);
    valid["mixed/sub/c.webp"] = await testImage("webp", 32, 48, 13);
    for (const [key, bytes] of Object.entries(valid)) await put("mixed", key, bytes);
    await put("mixed", "mixed/corrupt.jpg", noisePixels(64, 8, 5));
    await put("mixed", "mixed/truncated.jpg", valid["mixed/a.jpg"]!.subarray(0, 300));
    await put("mixed", "mixed/readme.txt", "not an image");
    await put("mixed", "mixed/big.bin", noisePixels(100, 100, 3)); // 30 kB, for the handler's size limit
    // The local target's JSONL, here so that every test below can compare with it, whichever runs.
    localRun = await batch(["--input", "s3://mixed/mixed/", "--output", localOutput(), "--workers", "1", "--top-k", "5"]);
    jsonl = localRun.code === 0 ? await readLines(localOutput()) : [];
  });

  it("writes one JSONL line per image to a local file: key, etag, size, model, predictions or error", async () => {
    expect(localRun.code, localRun.stderr).toBe(0);
    expect(localRun.stdout).toMatch(/ok 3, errors 2/);
    expect(jsonl.map(keyOf).sort()).toEqual(
      ["mixed/a.jpg", "mixed/b.png", "mixed/corrupt.jpg", "mixed/sub/c.webp", "mixed/truncated.jpg"],
    );

    const classifier = await Classifier.load(modelDir, { threads: 1 });
    try {
      for (const record of jsonl) {
        const key = keyOf(record);
        const head = await client.send(new HeadObjectCommand({ Bucket: "mixed", Key: key }));
        expect(record).toMatchObject({ bucket: "mixed", etag: head.ETag, size: head.ContentLength });
        expect(record.model).toEqual({ name: classifier.manifest.name, version: classifier.manifest.version });
        const bytes = valid[key];
        if (!bytes) {
          expect(record.predictions).toBeUndefined();
          expect(["INVALID_IMAGE", "UNSUPPORTED_MEDIA_TYPE"]).toContain(record.error?.code);
          continue;
        }
        expect(record.error).toBeUndefined();
        const direct = await classifier.classify([bytes], 5);
        const expected = direct.results[0]!;
        if (!expected.ok) throw expected.error;
        expect(record.predictions!.map((p) => p.label)).toEqual(expected.predictions.map((p) => p.label));
        record.predictions!.forEach((p, i) => expect(p.score).toBeCloseTo(expected.predictions[i]!.score, 6));
      }
    } finally {
      await classifier.dispose();
    }
  });

  it("writes CSV to S3 with the same results", async () => {
    const run = await batch(["--input", "s3://mixed/mixed/", "--output", "s3://out/mixed.csv", "--workers", "1", "--top-k", "2"]);
    expect(run.code, run.stderr).toBe(0);
    const { rows } = parseCsv(await readObject("out", "mixed.csv"));
    const [header, ...body] = rows;
    expect(header).toEqual([
      "bucket", "key", "etag", "size", "model_name", "model_version", "latency_ms", "error_code", "error_message",
      "label_1", "score_1", "label_2", "score_2",
    ]);
    expect(body).toHaveLength(5);
    for (const row of body) {
      const record = jsonl.find((r) => keyOf(r) === row[1])!;
      expect(row[2]).toBe("etag" in record ? record.etag : "");
      expect(row[7]).toBe(record.error?.code ?? "");
      expect(row[9]).toBe(record.predictions?.[0]?.label ?? "");
      if (record.predictions) expect(Number(row[10])).toBeCloseTo(record.predictions[0]!.score, 9);
    }
  });

  it("resumes into an S3 object by rewriting it with the old lines and the new ones", async () => {
    const first = await batch(["--input", "s3://mixed/mixed/", "--output", "s3://out/resume.jsonl", "--limit", "2", "--workers", "1"]);
    expect(first.code, first.stderr).toBe(0);
    const before = (await readObject("out", "resume.jsonl")).split("\n").filter(Boolean);
    expect(before).toHaveLength(2);

    const second = await batch(["--input", "s3://mixed/mixed/", "--output", "s3://out/resume.jsonl", "--resume", "--workers", "1"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain("2 skipped");
    const after = (await readObject("out", "resume.jsonl")).split("\n").filter(Boolean);
    expect(after.slice(0, 2)).toEqual(before);
    const keys = after.map((line) => keyOf(JSON.parse(line) as BatchRecord));
    expect(keys).toHaveLength(5);
    expect(new Set(keys).size).toBe(5);
  });

  describe("function URL target", () => {
    let server: ServeChild;
    const local = () => new Map(jsonl.map((record) => [keyOf(record), record]));

    beforeAll(async () => {
      server = await startServeChild({ ...s3.env, S3_INPUT_ALLOWLIST: "mixed/mixed/", S3_MAX_OBJECT_BYTES: "20000" });
    });
    afterAll(async () => server?.stop());

    for (const mode of ["bytes", "reference"] as const) {
      it(`scores by ${mode} with the same results as the local target`, async () => {
        const output = join(work, `url-${mode}.jsonl`);
        const args = ["--input", "s3://mixed/mixed/", "--output", output, "--target", server.url, "--top-k", "5"];
        const run = await batch(mode === "reference" ? [...args, "--by-reference"] : args);
        expect(run.code, run.stderr).toBe(0);
        const records = await readLines(output);
        expect(records).toHaveLength(5);
        const expected = local();
        for (const record of records) {
          const reference = expected.get(keyOf(record))!;
          expect(record.model).toEqual(reference.model);
          expect(record.error?.code).toBe(reference.error?.code);
          expect(record.predictions?.map((p) => p.label)).toEqual(reference.predictions?.map((p) => p.label));
          record.predictions?.forEach((p, i) => expect(p.score).toBeCloseTo(reference.predictions![i]!.score, 6));
        }
      });
    }

    it("retries 429, 503 and dropped connections from the function URL and still scores every image", async () => {
      // Each image's first three attempts fail in three different ways; the fourth is passed to the function.
      const attempts = new Map<string, number>();
      const flaky: Server = createServer(async (request, response) => {
        const chunks: Buffer[] = [];
        for await (const chunk of request) chunks.push(chunk as Buffer);
        const body = Buffer.concat(chunks).toString("base64");
        const turn = attempts.get(body) ?? 0;
        attempts.set(body, turn + 1);
        if (turn === 0) return void response.writeHead(429, { "content-type": "application/json" }).end('{"error":{"code":"THROTTLED","message":"slow down"}}');
        if (turn === 1) return void response.writeHead(503).end();
        if (turn === 2) return void request.socket.destroy();
        const upstream = await fetch(`${server.url}${request.url}`, {
          method: "POST",
          headers: { "content-type": request.headers["content-type"]! },
          body: Buffer.concat(chunks),
        });
        response.writeHead(upstream.status, { "content-type": "application/json" }).end(Buffer.from(await upstream.arrayBuffer()));
      });
      await new Promise<void>((resolve) => flaky.listen(0, "127.0.0.1", resolve));
      try {
        const output = join(work, "url-flaky.jsonl");
        const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}`;
        const run = await batch(["--input", "s3://mixed/mixed/", "--output", output, "--target", url, "--concurrency", "2"]);
        expect(run.code, run.stderr).toBe(0);
        const records = await readLines(output);
        expect(records.map(keyOf).sort()).toEqual([...local().keys()].sort());
        for (const record of records) expect(record.error?.code).toBe(local().get(keyOf(record))!.error?.code);
        expect(Number(/retries (\d+)/.exec(run.stdout)?.[1])).toBeGreaterThanOrEqual(3 * records.length);
      } finally {
        flaky.closeAllConnections();
        await new Promise((resolve) => flaky.close(resolve));
      }
    });

    const postS3 = async (s3Field: unknown) => {
      const response = await fetch(`${server.url}/classify`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ s3: s3Field }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    };

    it("the function enforces its allowlist: 403 outside, 404 missing, 413 too large, per-item errors in a list", async () => {
      const outside = await postS3({ bucket: "listing", key: "many/00000.jpg" });
      expect([outside.status, outside.body.error.code]).toEqual([403, "S3_ACCESS_DENIED"]);
      const otherPrefix = await postS3({ bucket: "mixed", key: "elsewhere.jpg" });
      expect([otherPrefix.status, otherPrefix.body.error.code]).toEqual([403, "S3_ACCESS_DENIED"]);
      const missing = await postS3({ bucket: "mixed", key: "mixed/missing.jpg" });
      expect([missing.status, missing.body.error.code]).toEqual([404, "S3_OBJECT_NOT_FOUND"]);
      const big = await postS3({ bucket: "mixed", key: "mixed/big.bin" });
      expect([big.status, big.body.error.code]).toEqual([413, "S3_OBJECT_TOO_LARGE"]);
      const invalid = await postS3({ bucket: "mixed" });
      expect([invalid.status, invalid.body.error.code]).toEqual([400, "INVALID_REQUEST"]);

      const list = await postS3([{ bucket: "mixed", key: "mixed/a.jpg" }, { bucket: "mixed", key: "mixed/missing.jpg" }]);
      expect(list.status).toBe(200);
      expect(list.body.results[0].predictions[0].label).toBe(local().get("mixed/a.jpg")!.predictions![0]!.label);
      expect(list.body.results[1].error.code).toBe("S3_OBJECT_NOT_FOUND");
    });
  });
});

describe("interrupted runs", () => {
  const count = 40;
  let keys: string[];

  beforeAll(async () => {
    keys = Array.from({ length: count }, (_, i) => `kill/${String(i).padStart(3, "0")}.jpg`);
    const outageKeys = keys.map((key) => key.replace("kill/", "outage/"));
    const images = await Promise.all(keys.map((_, i) => tinyJpeg(100 + i)));
    await inParallel([...keys, ...outageKeys].map((key, i) => ({ key, body: images[i % count]! })), 16, ({ key, body }) =>
      put("runs", key, body),
    );
  });

  it("SIGKILL mid-run, then --resume with the same arguments: every input exactly once", async () => {
    const output = join(work, "killed.jsonl");
    const args = ["--input", "s3://runs/kill/", "--output", output, "--workers", "1", "--concurrency", "1"];
    const child = spawnScript("scripts/tools/batch/main.ts", args, s3.env);
    child.stdout!.resume();
    child.stderr!.resume();
    const exited = new Promise((resolve) => child.once("exit", resolve));
    await waitFor(async () => (await lineCount(output)) >= 4 || child.exitCode !== null, 60_000);
    child.kill("SIGKILL");
    await exited;
    const beforeResume = await lineCount(output);
    expect(beforeResume).toBeGreaterThanOrEqual(4);
    expect(beforeResume).toBeLessThan(count);
    // A kill can land mid-write; simulate the torn last line it leaves behind.
    await appendFile(output, '{"bucket":"runs","key":"kill/0');

    const resumed = await batch([...args, "--resume"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`${beforeResume} skipped`);
    const records = await readLines(output);
    expect(records.map(keyOf).sort()).toEqual(keys);
    expect(records.every((record) => record.predictions?.length === 5)).toBe(true);
  });

  it("Ctrl-C with S3 output: the object holds what was scored, and --resume completes it exactly once", async () => {
    const args = ["--input", "s3://runs/kill/", "--output", "s3://out/interrupted.jsonl", "--workers", "1", "--concurrency", "1"];
    const child = spawnScript("scripts/tools/batch/main.ts", args, { ...s3.env, BATCH_PROGRESS_INTERVAL_MS: "50" });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    await waitFor(async () => /progress: ([3-9]|\d\d)\//.test(stderr) || child.exitCode !== null, 60_000);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stdout).toContain("Interrupted");
    const partial = (await readObject("out", "interrupted.jsonl")).split("\n").filter(Boolean);
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(count);

    const resumed = await batch([...args, "--resume"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`${partial.length} skipped`);
    const keysWritten = (await readObject("out", "interrupted.jsonl"))
      .split("\n")
      .filter(Boolean)
      .map((line) => keyOf(JSON.parse(line) as BatchRecord));
    expect(keysWritten.sort()).toEqual(keys);
  });

  it("S3 stopped and restarted mid-run: the run finishes through retries", async () => {
    const output = join(work, "outage.jsonl");
    const child = spawnScript(
      "scripts/tools/batch/main.ts",
      ["--input", "s3://runs/outage/", "--output", output, "--workers", "1", "--concurrency", "2"],
      s3.env,
    );
    let stdout = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.resume();
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    await waitFor(async () => (await lineCount(output)) >= 3 || child.exitCode !== null, 60_000);
    await s3.stop();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await s3.restart();
    expect(await exited).toBe(0);

    const records = await readLines(output);
    expect(records.map(keyOf).sort()).toEqual(keys.map((key) => key.replace("kill/", "outage/")));
    expect(records.filter((record) => record.error)).toEqual([]);
    const retries = Number(/retries (\d+)/.exec(stdout)?.[1]);
    expect(retries).toBeGreaterThan(0);
  });
});

describe("resume after errors, through a function URL", () => {
  /** A stand-in function URL: answers each image by its bytes (the image's name) from `answers`, counting requests. */
  let answers: Record<string, number> = {};
  const requested: string[] = [];
  let fake: Server;
  let url: string;
  let input: string;

  beforeAll(async () => {
    fake = createServer(async (request, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const name = Buffer.concat(chunks).toString();
      requested.push(name);
      const status = answers[name] ?? 200;
      const body =
        status === 200
          ? { model: { name: "fake", version: "1" }, predictions: [{ label: `label-of-${name}`, score: 1 }] }
          : status === 415
            ? { error: { code: "UNSUPPORTED_MEDIA_TYPE", message: "=not an image" } }
            : {};
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    input = await mkdtemp(join(work, "retry-in-"));
    for (const name of ["a", "b", "c", "d"]) await writeFile(join(input, `${name}.jpg`), name);
  });
  afterAll(async () => {
    fake?.closeAllConnections();
    await new Promise((resolve) => fake?.close(resolve));
  });

  const nameOf = (key: string) => /([a-d])\.jpg$/.exec(key)![1]!;

  async function rows(output: string): Promise<Array<{ name: string; error: string; label: string }>> {
    if (output.endsWith(".jsonl")) {
      const text = output.startsWith("s3://") ? await readObject("out", output.slice("s3://out/".length)) : await readFile(output, "utf8");
      return text.split("\n").filter(Boolean).map((line) => {
        const record = JSON.parse(line) as BatchRecord;
        return { name: nameOf(keyOf(record)), error: record.error?.code ?? "", label: record.predictions?.[0]?.label ?? "" };
      });
    }
    const [, ...body] = parseCsv(await readFile(output, "utf8")).rows;
    return body.map((row) => ({ name: nameOf(row[0]!), error: row[6]!, label: row[8]! }));
  }

  for (const output of ["retry.csv", "s3://out/retry.jsonl"]) {
    it(`--resume scores transient errors again and keeps permanent ones; --retry-errors scores those too (${output})`, async () => {
      const target = output.startsWith("s3://") ? output : join(work, output);
      const args = ["--input", input, "--output", target, "--target", url, "--retries", "0", "--concurrency", "1"];
      answers = { a: 503, b: 415, c: 200, d: 429 };
      const first = await batch(args);
      expect(first.code, first.stderr).toBe(0);
      expect(first.stdout).toMatch(/ok 1, errors 3 \(HTTP_429 1, HTTP_503 1, UNSUPPORTED_MEDIA_TYPE 1\)/);

      answers = { a: 200, b: 200, c: 200, d: 200 };
      requested.length = 0;
      const resumed = await batch([...args, "--resume"]);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stderr).toContain("2 already in the output, 2 to score (2 again after an error)");
      expect(resumed.stdout).toContain("2 skipped");
      expect(requested.sort()).toEqual(["a", "d"]);
      const afterResume = await rows(target);
      expect(afterResume.map((row) => row.name).sort()).toEqual(["a", "b", "c", "d"]);
      expect(Object.fromEntries(afterResume.map((row) => [row.name, row.error || row.label]))).toEqual({
        a: "label-of-a",
        b: "UNSUPPORTED_MEDIA_TYPE",
        c: "label-of-c",
        d: "label-of-d",
      });

      requested.length = 0;
      const noop = await batch([...args, "--resume"]);
      expect(noop.code, noop.stderr).toBe(0);
      expect(requested).toEqual([]);

      const retried = await batch([...args, "--resume", "--retry-errors"]);
      expect(retried.code, retried.stderr).toBe(0);
      expect(requested).toEqual(["b"]);
      const final = await rows(target);
      expect(final.map((row) => row.name).sort()).toEqual(["a", "b", "c", "d"]);
      expect(final.every((row) => row.error === "" && row.label === `label-of-${row.name}`)).toBe(true);
    });
  }
});

describe("inputs over --max-bytes", () => {
  it("S3: an object larger than --max-bytes gets an INPUT_TOO_LARGE line naming its size and the limit; the rest is scored", async () => {
    const small = await tinyJpeg(201);
    const big = await testImage("jpeg", 160, 160, 202);
    const limit = small.length + 10;
    expect(big.length).toBeGreaterThan(limit);
    await put("runs", "oversize/big.jpg", big);
    await put("runs", "oversize/small.jpg", small);
    const output = join(work, "oversize.jsonl");
    const run = await batch(["--input", "s3://runs/oversize/", "--output", output, "--workers", "1", "--max-bytes", String(limit)]);
    expect(run.code, run.stderr).toBe(0);
    const records = new Map((await readLines(output)).map((record) => [keyOf(record), record]));
    expect(records.get("oversize/small.jpg")!.predictions).toHaveLength(5);
    expect(records.get("oversize/big.jpg")).toMatchObject({
      size: big.length,
      error: { code: "INPUT_TOO_LARGE", message: `${big.length} bytes, over the --max-bytes limit of ${limit} bytes; not read` },
    });
    expect(run.stdout).toMatch(/ok 1, errors 1 \(INPUT_TOO_LARGE 1\)/);
  });

  it("folder: a file over the default limit (20 MiB, the function's S3_MAX_OBJECT_BYTES) is skipped by its stat size", async () => {
    const dir = await mkdtemp(join(work, "oversize-dir-"));
    await writeFile(join(dir, "small.jpg"), await tinyJpeg(203));
    const huge = join(dir, "huge.jpg");
    await writeFile(huge, "");
    await truncate(huge, 21 * 1024 * 1024); // sparse: takes no disk space
    const output = join(work, "oversize-dir.csv");
    const run = await batch(["--input", dir, "--output", output, "--workers", "1"]);
    expect(run.code, run.stderr).toBe(0);
    const [header, ...body] = parseCsv(await readFile(output, "utf8")).rows;
    const byPath = new Map(body.map((row) => [row[0], Object.fromEntries(header!.map((column, i) => [column, row[i]]))]));
    expect(byPath.get(huge)).toMatchObject({
      size: String(21 * 1024 * 1024),
      error_code: "INPUT_TOO_LARGE",
      error_message: `${21 * 1024 * 1024} bytes, over the --max-bytes limit of ${20 * 1024 * 1024} bytes; not read`,
    });
    expect(byPath.get(join(dir, "small.jpg"))!.error_code).toBe("");
  });
});
