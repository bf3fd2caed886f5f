import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { batchStateMachineDefinition } from "../infra/batch/state-machine-definition.js";
import { parseBatchArgs } from "../scripts/tools/batch/args.js";
import { runRemote } from "../scripts/tools/batch/engines/run-remote.js";
import type { BatchRecord } from "../scripts/tools/batch/record.js";
import { S3rverProcess } from "./support/s3rver.js";
import { type AwsBatchEndpoint, startAwsBatchEndpoint } from "./support/stepfunctions-endpoint.js";
import { noisePixels, testImage } from "./support/test-images.js";

const stateMachineArn = "arn:aws:states:us-east-1:123456789012:stateMachine:batch-classifier";
const keys = ["2026/a.jpg", "2026/b.png", "2026/c.jpg", "2026/d.jpg", "2026/e.jpg", "2026/f.jpg", "2026/g-corrupt.jpg"];
let s3: S3rverProcess;
let client: S3Client;
let endpoint: AwsBatchEndpoint;
let work: string;

async function readObject(bucket: string, key: string): Promise<string> {
  return (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
}

const readRows = async (path: string) => (await readFile(path, "utf8")).split("\n").filter(Boolean).map((line) => JSON.parse(line) as BatchRecord);
const keyOf = (record: BatchRecord) => ("key" in record ? record.key : record.path);
const deliveredKeys = () => endpoint.lambda.delivered.flatMap((payload) => (payload as { Items: Array<{ Key: string }> }).Items.map((item) => item.Key)).sort();

function run(args: string[]) {
  const log: string[] = [];
  const options = parseBatchArgs([...args, "--target", `stepfunctions:${stateMachineArn}`, "--outputs", join(work, "none.json")])!;
  return runRemote(options, { log: (line) => log.push(line) }).then((summary) => ({ summary, log }));
}

beforeAll(async () => {
  s3 = await S3rverProcess.start();
  Object.assign(process.env, s3.env, { BATCH_POLL_INTERVAL_MS: "40" });
  client = s3.client();
  work = await mkdtemp(join(tmpdir(), "batch-engines-"));
  for (const bucket of ["photos", "results", "lists", "reports"]) await s3.createBucket(bucket);
  for (const [index, key] of keys.entries()) {
    const body = key.includes("corrupt") ? noisePixels(40, 8, 3) : await testImage(key.endsWith(".png") ? "png" : "jpeg", 32 + index, 24, index);
    await client.send(new PutObjectCommand({ Bucket: "photos", Key: key, Body: body }));
  }
  // Batch Operations' objects: a key that needs URL-encoding, and one that is not an image.
  await client.send(new PutObjectCommand({ Bucket: "photos", Key: "bo/a b.jpg", Body: await testImage("jpeg", 40, 30, 1) }));
  await client.send(new PutObjectCommand({ Bucket: "photos", Key: "bo/c.png", Body: await testImage("png", 30, 30, 2) }));
  await client.send(new PutObjectCommand({ Bucket: "photos", Key: "bo/bad.jpg", Body: noisePixels(30, 4, 1) }));
  const definition = batchStateMachineDefinition({
    functionArn: "arn:aws:lambda:us-east-1:123456789012:function:classifier:batch",
    resultsBucket: "results",
    resultsPrefix: "runs",
    maxItemsPerBatch: 3,
    maxConcurrency: 2,
    toleratedFailurePercentage: 0,
    executionType: "STANDARD",
  });
  endpoint = await startAwsBatchEndpoint({
    stateMachines: { [stateMachineArn]: definition },
    s3: client,
    functionEnv: { ...process.env, ...s3.env, S3_INPUT_ALLOWLIST: "photos/2026/,photos/bo/" },
  });
  Object.assign(process.env, endpoint.env);
});

afterAll(async () => {
  await endpoint?.close();
  client?.destroy();
  await s3?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
});

beforeEach(() => {
  endpoint.lambda.delivered.length = 0;
  endpoint.lambda.refused = 0;
  endpoint.lambda.fault = undefined;
  endpoint.redrivable = true;
});

describe("npm run batch --target stepfunctions", () => {
  it("lists the prefix, batches 3 items per child, scores with the real function and turns ResultWriter's files into rows", async () => {
    const output = join(work, "listing.jsonl");
    const { summary } = await run(["--input", "s3://photos/2026/", "--output", output, "--top-k", "3"]);
    expect(summary.failure).toBeUndefined();
    expect(endpoint.lambda.delivered.map((payload) => (payload as { Items: unknown[] }).Items.length).sort()).toEqual([1, 3, 3]);
    expect(endpoint.lambda.delivered[0]).toMatchObject({ BatchInput: { bucket: "photos", topK: 3 } });

    const rows = await readRows(output);
    expect(rows.map(keyOf).sort()).toEqual([...keys].sort());
    for (const row of rows) {
      expect(row).toMatchObject({ bucket: "photos", model: { name: expect.any(String) } });
      expect("etag" in row && row.etag).toMatch(/^"[0-9a-f]+"$/);
      if (keyOf(row).includes("corrupt")) expect(row.error?.code).toBe("UNSUPPORTED_MEDIA_TYPE");
      else expect(row.predictions).toHaveLength(3);
    }
    expect(summary).toMatchObject({ ok: 6, errorsByCode: { UNSUPPORTED_MEDIA_TYPE: 1 } });

    // ResultWriter's documented layout, read back: <Prefix>/<map run id>/manifest.json → SUCCEEDED_0.json records.
    const execution = [...endpoint.stepFunctions.executions.values()].at(-1)!;
    const mapRunId = execution.mapRun!.arn.split(":").pop();
    const manifest = JSON.parse(await readObject("results", `runs/${mapRunId}/manifest.json`));
    expect(manifest).toMatchObject({ DestinationBucket: "results", MapRunArn: execution.mapRun!.arn, ResultFiles: { FAILED: [], PENDING: [] } });
    expect(manifest.ResultFiles.SUCCEEDED).toEqual([{ Key: `runs/${mapRunId}/SUCCEEDED_0.json`, Size: expect.any(Number) }]);
    const records = JSON.parse(await readObject("results", manifest.ResultFiles.SUCCEEDED[0].Key));
    expect(records).toHaveLength(3);
    expect(records[0]).toMatchObject({ Status: "SUCCEEDED", Input: expect.any(String), Output: expect.any(String), StateMachineArn: stateMachineArn });
    expect(JSON.parse(records[0].Output).results).toHaveLength(JSON.parse(records[0].Input).Items.length);
  });

  it("reads a CSV manifest (header row; an empty Bucket is the manifest's bucket)", async () => {
    await client.send(new PutObjectCommand({ Bucket: "photos", Key: "jobs/some.csv", Body: "Key,Bucket\n2026/a.jpg,photos\n2026/b.png,\n" }));
    const output = join(work, "manifest.csv");
    const { summary } = await run(["--manifest", "s3://photos/jobs/some.csv", "--output", output]);
    expect(summary.failure).toBeUndefined();
    const [header, ...body] = (await readFile(output, "utf8")).trim().split("\n");
    expect(header).toMatch(/^bucket,key,etag,size,/);
    expect(body.map((line) => line.split(",").slice(0, 2).join(","))).toEqual(["photos,2026/a.jpg", "photos,2026/b.png"]);
  });

  it("a child throttled past its retries fails the execution; --resume redrives it and scores only what is missing", async () => {
    const output = join(work, "redrive.jsonl");
    const throttled = (payload: unknown) => (payload as { Items: Array<{ Key: string }> }).Items.some((item) => item.Key === "2026/e.jpg");
    endpoint.lambda.fault = (payload) => (throttled(payload) ? "Lambda.TooManyRequestsException" : undefined);
    const first = await run(["--input", "s3://photos/2026/", "--output", output]);
    expect(first.summary.failure).toMatch(/execution FAILED \(States\.ExceedToleratedFailureThreshold/);
    expect(endpoint.lambda.refused).toBe(7); // the first try and the Retry rule's 6 more
    const failedRows = (await readRows(output)).filter((row) => row.error?.code?.startsWith("MAP_CHILD_"));
    expect(failedRows.map(keyOf)).toContain("2026/e.jpg");
    const scoredFirst = new Set((await readRows(output)).filter((row) => !row.error?.code?.startsWith("MAP_CHILD_")).map(keyOf));

    endpoint.lambda.fault = undefined;
    endpoint.lambda.delivered.length = 0;
    const resumed = await run(["--input", "s3://photos/2026/", "--output", output, "--resume"]);
    expect(resumed.log.join("\n")).toContain("redriving");
    expect(resumed.summary.failure).toBeUndefined();
    expect(deliveredKeys()).toEqual(keys.filter((key) => !scoredFirst.has(key)).sort());
    const rows = await readRows(output);
    expect(rows.map(keyOf).sort()).toEqual([...keys].sort());
    expect(rows.filter((row) => row.error?.code?.startsWith("MAP_CHILD_"))).toEqual([]);
  });

  it("when the execution cannot be redriven, --resume starts a new one over a JSONL manifest of the missing items", async () => {
    const output = join(work, "fresh.jsonl");
    endpoint.lambda.fault = (payload) => ((payload as { Items: Array<{ Key: string }> }).Items.some((item) => item.Key === "2026/a.jpg") ? "Lambda.ServiceException" : undefined);
    const first = await run(["--input", "s3://photos/2026/", "--output", output]);
    expect(first.summary.failure).toBeDefined();
    const scoredFirst = new Set((await readRows(output)).filter((row) => !row.error?.code?.startsWith("MAP_CHILD_")).map(keyOf));
    expect(scoredFirst.has("2026/a.jpg")).toBe(false);

    endpoint.redrivable = false;
    endpoint.lambda.fault = undefined;
    endpoint.lambda.delivered.length = 0;
    const resumed = await run(["--input", "s3://photos/2026/", "--output", output, "--resume"]);
    expect(resumed.log.join("\n")).toMatch(/over the \d+ items missing from the output \(s3:\/\/results\/runs\/manifests\//);
    expect(deliveredKeys()).toEqual(keys.filter((key) => !scoredFirst.has(key)).sort());
    const execution = [...endpoint.stepFunctions.executions.values()].at(-1)!;
    expect(JSON.parse(execution.input).source).toMatchObject({ bucket: "results", format: "JSONL" });
    const rows = await readRows(output);
    expect(rows.map(keyOf).sort()).toEqual([...keys].sort());
    expect(rows.every((row) => "etag" in row && row.etag.length > 2)).toBe(true);
  });
});

describe("npm run batch --target s3-batch-operations", () => {
  it("creates a LambdaInvoke 2.0 job from a CSV manifest, follows it and turns the completion report into rows", async () => {
    const output = join(work, "bo.jsonl");
    const options = parseBatchArgs([
      "--input", "s3://photos/bo/", "--output", output, "--target", "s3-batch-operations", "--top-k", "2",
      "--function-arn", "arn:aws:lambda:us-east-1:123456789012:function:classifier:batch",
      "--role-arn", "arn:aws:iam::123456789012:role/batch-operations", "--report", "s3://reports/bo-report",
      "--outputs", join(work, "none.json"),
    ])!;
    const summary = await runRemote(options, { log: () => {} });
    expect(summary.failure).toBeUndefined();

    expect(endpoint.lambda.delivered).toHaveLength(3); // one invocation per object
    expect(endpoint.lambda.delivered[0]).toMatchObject({ invocationSchemaVersion: "2.0", job: { userArguments: { topK: "2" } }, tasks: [{ s3Bucket: "photos" }] });
    const encoded = endpoint.lambda.delivered.map((event) => (event as { tasks: Array<{ s3Key: string }> }).tasks[0]!.s3Key);
    expect(encoded).toContain("bo%2Fa%20b.jpg");

    const rows = (await readFile(output, "utf8")).split("\n").filter(Boolean).map((line) => JSON.parse(line) as BatchRecord & { key: string; etag: string });
    const byKey = new Map(rows.map((row) => [row.key, row]));
    expect([...byKey.keys()].sort()).toEqual(["bo/a b.jpg", "bo/bad.jpg", "bo/c.png"]);
    expect(byKey.get("bo/a b.jpg")!.predictions).toHaveLength(2);
    expect(byKey.get("bo/a b.jpg")!.etag).toMatch(/^"[0-9a-f]+"$/);
    expect(byKey.get("bo/bad.jpg")!.error).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE", message: expect.stringMatching(/^PermanentFailure: /) });

    const jobId = [...endpoint.batchOperations.jobs.keys()][0]!;
    const manifest = JSON.parse(await (await client.send(new GetObjectCommand({ Bucket: "reports", Key: `bo-report/job-${jobId}/manifest.json` }))).Body!.transformToString());
    expect(manifest.Results.map((result: { TaskExecutionStatus: string }) => result.TaskExecutionStatus).sort()).toEqual(["failed", "succeeded"]);

    endpoint.lambda.delivered.length = 0;
    const again = await runRemote({ ...options, resume: true }, { log: () => {} });
    expect(endpoint.lambda.delivered).toHaveLength(0); // the permanent failure is kept, nothing is missing
    expect(again.scored).toBe(0);
  });
});
