import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBatchArgs } from "../scripts/tools/batch/args.js";
import { runRemote } from "../scripts/tools/batch/engines/run-remote.js";
import type { BatchRecord } from "../scripts/tools/batch/record.js";
import { S3rverProcess } from "./support/s3rver.js";
import { type AwsBatchEndpoint, startAwsBatchEndpoint } from "./support/stepfunctions-endpoint.js";
import { noisePixels, testImage } from "./support/test-images.js";

let s3: S3rverProcess;
let client: S3Client;
let endpoint: AwsBatchEndpoint;
let work: string;

beforeAll(async () => {
  s3 = await S3rverProcess.start();
  Object.assign(process.env, s3.env, { BATCH_POLL_INTERVAL_MS: "40" });
  client = s3.client();
  work = await mkdtemp(join(tmpdir(), "batch-ops-"));
  for (const bucket of ["photos", "reports"]) await s3.createBucket(bucket);
  await client.send(new PutObjectCommand({ Bucket: "photos", Key: "bo/a b.jpg", Body: await testImage("jpeg", 40, 30, 1) }));
  await client.send(new PutObjectCommand({ Bucket: "photos", Key: "bo/c.png", Body: await testImage("png", 30, 30, 2) }));
  await client.send(new PutObjectCommand({ Bucket: "photos", Key: "bo/bad.jpg", Body: noisePixels(30, 4, 1) }));
  endpoint = await startAwsBatchEndpoint({ stateMachines: {}, s3: client, functionEnv: { ...process.env, ...s3.env, S3_INPUT_ALLOWLIST: "photos/bo/" } });
  Object.assign(process.env, endpoint.env);
});

afterAll(async () => {
  await endpoint?.close();
  client?.destroy();
  await s3?.dispose();
  if (work) await rm(work, { recursive: true, force: true });
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
