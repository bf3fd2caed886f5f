import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCost } from "./support/cost-cli.js";
import { batchCost, type BatchCostOptions } from "../scripts/tools/cost/batch-command.js";
import { type BatchJobInput, compareWithSingleImage, estimateBatchJobCost } from "../scripts/tools/cost/batch-estimate.js";
import { durationAt, fitInvocationDuration } from "../scripts/tools/cost/invocation-duration.js";
import { readMeasuredBatchDurations } from "../scripts/tools/cost/measured-duration.js";

// Expectations are worked out by hand from the published prices, not by calling the code under test.
const job: BatchJobInput = {
  images: 1_000_000,
  batchSize: 16,
  memoryMB: 2048,
  architecture: "arm64",
  invocationMs: 259.2,
  childExecutionType: "STANDARD",
  source: "listing",
};

describe("a batch job of 1,000,000 images at 16 per invocation, 2048 MB arm64, STANDARD children, listing", () => {
  const cost = estimateBatchJobCost(job);

  it("Lambda: 62,500 invocations billed 260 ms each", () => {
    expect(cost.invocations).toBe(62_500);
    expect(cost.lambda.billedMs).toBe(260);
    // 62,500 × 0.26 s × 2 GB = 32,500 GB-s × $0.0000133334 = $0.433335500; requests 0.0625 M × $0.20 = $0.0125
    expect(cost.lambda.gbSeconds).toBeCloseTo(32_500, 9);
    expect(cost.lambda.duration).toBeCloseTo(0.4333355, 9);
    expect(cost.lambda.requests).toBeCloseTo(0.0125, 12);
  });

  it("Step Functions: 3 parent transitions + 3 per child (1 for starting it, 2 of its own)", () => {
    expect(cost.stepFunctions.childExecutions).toBe(62_500);
    expect(cost.stepFunctions.transitions).toBe(187_503);
    // 187,503 × $0.025 / 1,000 = $4.687575
    expect(cost.stepFunctions.transitionCharge).toBeCloseTo(4.687575, 9);
    expect(cost.stepFunctions.expressRequests).toBe(0);
    expect(cost.stepFunctions.total).toBeCloseTo(4.687575, 9);
  });

  it("S3: 1,000 LISTs, a GET per image, ResultWriter's manifest and one results file", () => {
    expect(cost.s3.lists).toBe(1000);
    expect(cost.s3.gets).toBe(1_000_000);
    // 1e6 × 500 B + 62,500 × 350 B = 521,875,000 B: one file under 5 GiB, plus manifest.json
    expect(cost.s3.resultBytes).toBe(521_875_000);
    expect(cost.s3.puts).toBe(2);
    // LIST 1,000 × $0.005/1,000 = $0.005; GET 1e6 × $0.0004/1,000 = $0.40; PUT 2 × $0.000005 = $0.00001
    expect(cost.s3.total).toBeCloseTo(0.40501, 12);
  });

  it("total and per million images", () => {
    // 0.0125 + 0.4333355 + 4.687575 + 0.40501
    expect(cost.total).toBeCloseTo(5.5384205, 9);
    expect(cost.perMillionImages).toBeCloseTo(5.5384205, 9);
  });

  it("against one image per invocation of 35 ms: 13.82× cheaper per image", () => {
    const comparison = compareWithSingleImage(
      { images: job.images, memoryMB: job.memoryMB, childExecutionType: "STANDARD", source: "listing" },
      16,
      (n) => (n === 16 ? 259.2 : n === 1 ? 35 : Number.NaN),
      ["arm64", "x86_64"],
    );
    const single = comparison.single.arm64!;
    expect(single.invocations).toBe(1_000_000);
    expect(single.stepFunctions.transitions).toBe(3_000_003);
    // requests $0.20; 1e6 × 0.035 s × 2 GB = 70,000 GB-s × $0.0000133334 = $0.933338; transitions $75.000075; S3 $0.40501
    expect(single.total).toBeCloseTo(76.538423, 9);
    expect(comparison.cheaperBy.arm64).toBeCloseTo(76.538423 / 5.5384205, 9);
    // x86_64: 32,500 GB-s × $0.0000166667 = $0.54166775 at 16; 70,000 × $0.0000166667 = $1.166669 at 1
    expect(comparison.batched.x86_64!.total).toBeCloseTo(0.0125 + 0.54166775 + 4.687575 + 0.40501, 9);
    expect(comparison.single.x86_64!.total).toBeCloseTo(0.2 + 1.166669 + 75.000075 + 0.40501, 9);
  });
});

describe("batch job variants", () => {
  it("EXPRESS children: one request each, duration in 100 ms steps at 64 MB, and the parent's transition per child", () => {
    const { stepFunctions } = estimateBatchJobCost({ ...job, childExecutionType: "EXPRESS" });
    expect(stepFunctions.transitions).toBe(62_503);
    expect(stepFunctions.expressRequests).toBe(62_500);
    // 260 ms → 300 ms; 62,500 × 0.3 s × 0.0625 GB = 1,171.875 GB-s × $0.00001667 = $0.01953515625
    expect(stepFunctions.expressGbSeconds).toBeCloseTo(1171.875, 9);
    expect(stepFunctions.expressDurationCharge).toBeCloseTo(0.01953515625, 12);
    expect(stepFunctions.expressRequestCharge).toBeCloseTo(0.0625, 12);
    // + 62,503 × $0.000025 = $1.562575
    expect(stepFunctions.total).toBeCloseTo(0.01953515625 + 0.0625 + 1.562575, 12);
  });

  it("a manifest source: no LIST, one GET more for the manifest", () => {
    const { s3 } = estimateBatchJobCost({ ...job, source: "manifest" });
    expect(s3.lists).toBe(0);
    expect(s3.gets).toBe(1_000_001);
  });

  it("a partial last batch is one more invocation; results over 5 GiB go to more files", () => {
    const cost = estimateBatchJobCost({ ...job, images: 20_000_001 });
    expect(cost.invocations).toBe(1_250_001);
    expect(cost.s3.lists).toBe(20_001);
    // 20,000,001 × 500 + 1,250,001 × 350 = 10,437,500,850 B / 5,368,709,120 = 1.94 → 2 files + manifest
    expect(cost.s3.puts).toBe(3);
  });

  it.each([
    [{ batchSize: 0 }, /batch size/],
    [{ batchSize: 1001 }, /batch size.*1000/],
    [{ batchSize: 2.5 }, /batch size/],
    [{ images: 0 }, /images/],
    [{ images: 10.5 }, /images/],
    [{ memoryMB: 100 }, /memory/],
    [{ invocationMs: 0 }, /duration/],
    [{ invocationMs: 900_001 }, /900 s/],
    [{ architecture: "mips" as never }, /architecture/],
    [{ childExecutionType: "FAST" as never }, /STANDARD or EXPRESS/],
    [{ source: "ftp" as never }, /listing or manifest/],
  ])("rejects %o", (change, message) => {
    expect(() => estimateBatchJobCost({ ...job, ...change })).toThrow(message);
  });
});

describe("per-invocation duration", () => {
  it("fits overhead + per image through measured points", () => {
    const model = fitInvocationDuration([
      { batchSize: 1, ms: 25 },
      { batchSize: 8, ms: 95 },
      { batchSize: 16, ms: 175 },
      { batchSize: 32, ms: 335 },
    ]);
    expect(model.overheadMs).toBeCloseTo(15, 9);
    expect(model.perImageMs).toBeCloseTo(10, 9);
  });

  it("keeps the fixed part non-negative: a line through the origin instead", () => {
    // slope 15, intercept −10 → through the origin: (1×5 + 2×20) / (1 + 4) = 9
    expect(fitInvocationDuration([{ batchSize: 1, ms: 5 }, { batchSize: 2, ms: 20 }])).toEqual({ overheadMs: 0, perImageMs: 9 });
  });

  it("needs two batch sizes", () => {
    expect(() => fitInvocationDuration([{ batchSize: 4, ms: 5 }, { batchSize: 4, ms: 6 }])).toThrow(/two batch sizes/);
  });

  it("a measured batch size wins over the line", () => {
    const model = { overheadMs: 10, perImageMs: 2 };
    expect(durationAt(8, model, [{ batchSize: 8, ms: 40 }])).toBe(40);
    expect(durationAt(9, model, [{ batchSize: 8, ms: 40 }])).toBe(28);
  });
});

describe("npm run cost -- --batch-size: where the duration comes from", () => {
  const options: BatchCostOptions = {
    images: 1_000_000,
    batchSize: 16,
    memoryMB: 2048,
    architectures: ["arm64"],
    childExecutionType: "STANDARD",
    source: "listing",
  };
  const measured = {
    points: [
      { batchSize: 1, ms: 30 },
      { batchSize: 8, ms: 100 },
      { batchSize: 16, ms: 180 },
    ],
    description: "bench batch phase",
  };

  it("measured durations from the bench", () => {
    const answer = batchCost(options, measured);
    expect(answer.comparison.batched.arm64!.lambda.billedMs).toBe(180);
    expect(answer.comparison.single.arm64!.lambda.billedMs).toBe(30);
    expect(answer.durationSource).toContain("measured");
    expect(answer.durationSource).toContain("bench batch phase");
  });

  it("an unmeasured batch size from the fitted line", () => {
    // points (1, 30), (8, 100), (16, 180): slope 1,120 / 112.67 ≈ 9.94, at 32 ≈ 339 ms
    const answer = batchCost({ ...options, batchSize: 32 }, measured);
    const { overheadMs, perImageMs } = fitInvocationDuration(measured.points);
    expect(answer.comparison.batched.arm64!.lambda.billedMs).toBe(Math.ceil(overheadMs + 32 * perImageMs));
    expect(answer.comparison.batched.arm64!.lambda.billedMs).toBeGreaterThan(330);
    expect(answer.durationSource).toContain("fitted line");
  });

  it("flags override the measurement; without either, the documented default 20 + 15 ms × N", () => {
    const given = batchCost({ ...options, overheadMs: 5, perImageMs: 2 }, measured);
    expect(given.comparison.batched.arm64!.lambda.billedMs).toBe(37);
    expect(given.durationSource).toContain("--overhead-ms");
    const fallback = batchCost(options, undefined);
    expect(fallback.comparison.batched.arm64!.lambda.billedMs).toBe(260);
    expect(fallback.comparison.single.arm64!.lambda.billedMs).toBe(35);
    expect(fallback.durationSource).toContain("default");
  });

  it("the printout names both batch sizes, the prices' region and the ratio", () => {
    const { text } = batchCost({ ...options, architectures: ["arm64", "x86_64"] }, undefined);
    expect(text).toContain("16 / invocation");
    expect(text).toContain("1 / invocation");
    expect(text).toContain("us-east-1");
    expect(text).toMatch(/arm64: 16 images per invocation costs \d+\.\d\d× less per image than 1/);
    expect(text).toMatch(/x86_64: 16 images per invocation/);
    expect(text).toContain("187,503");
  });
});

describe("measured batch durations in bench/results.json", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "cost-batch-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("reads the points and says where they came from; undefined without them", async () => {
    const path = join(dir, "results.json");
    await writeFile(
      path,
      JSON.stringify({ finishedAt: "2026-11-28T01:00:00Z", costBatchDurations: { description: "batch phase", points: [{ batchSize: 1, ms: 12 }] } }),
    );
    expect(await readMeasuredBatchDurations(path)).toEqual({ points: [{ batchSize: 1, ms: 12 }], description: "batch phase, " + path + " of 2026-11-28T01:00:00Z" });
    await writeFile(path, JSON.stringify({ finishedAt: "x", costDuration: { ms: 1, description: "d" } }));
    expect(await readMeasuredBatchDurations(path)).toBeUndefined();
    expect(await readMeasuredBatchDurations(join(dir, "missing.json"))).toBeUndefined();
  });
});

describe("npm run cost CLI errors", () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "cost-cli-"));
    await mkdir(join(cwd, "bench"));
  });
  afterAll(() => rm(cwd, { recursive: true, force: true }));
  const cost = (args: string[]) => runCost(args, cwd);

  it.each([
    [["--batch-size", "abc"], /--batch-size must be a number, got "abc"/],
    [["--batch-size", "0"], /batch size must be a whole number from 1 to 1000/],
    [["--batch-size", "8", "--duration-ms", "5"], /--duration-ms does not apply to a batch job/],
    [["--batch-size", "8", "--overhead-ms", "5"], /--overhead-ms and --per-image-ms go together/],
    [["--batch-size", "8", "--execution-type", "FAST"], /--execution-type must be STANDARD or EXPRESS/],
    [["--images", "5"], /--images needs --batch-size/],
  ])("%j exits 2 with a clear message and the usage", async (args, message) => {
    const { code, stderr } = await cost(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain("Usage: npm run cost");
  });

  it("--batch-size 16 prints the comparison with the documented default duration (no bench results here)", async () => {
    const { code, stdout } = await cost(["--batch-size", "16", "--images", "1_000_000"]);
    expect(code).toBe(0);
    expect(stdout).toContain("documented default");
    expect(stdout).toMatch(/Lambda invocations\s+62,500\s+1,000,000/);
    expect(stdout).toMatch(/Step Functions transitions\s+187,503\s+3,000,003/);
  });
});
