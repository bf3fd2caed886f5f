import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { billedDurationMs, estimateMonthlyCost } from "../scripts/tools/cost/estimate.js";
import { readMeasuredDuration } from "../scripts/tools/cost/measured-duration.js";

// Expectations below are worked out by hand from the published prices, not by calling the code under test.
describe("billed duration", () => {
  it("rounds up to the next whole millisecond", () => {
    expect(billedDurationMs(22.01)).toBe(23);
    expect(billedDurationMs(22.999)).toBe(23);
    expect(billedDurationMs(23)).toBe(23);
  });
  it("is never below 1 ms", () => {
    expect(billedDurationMs(0.2)).toBe(1);
  });
});

describe("on-demand cost", () => {
  it("1,000,000 requests × 22.4 ms (billed 23 ms) at 2048 MB x86_64", () => {
    const { onDemand, billedMs, gbSecondsPerRequest } = estimateMonthlyCost({
      memoryMB: 2048,
      architecture: "x86_64",
      requestsPerMonth: 1_000_000,
      durationMs: 22.4,
    });
    expect(billedMs).toBe(23);
    expect(gbSecondsPerRequest).toBeCloseTo(0.046, 12); // 0.023 s × 2 GB
    // 46,000 GB-s × $0.0000166667 = $0.7666682; requests 1 × $0.20
    expect(onDemand.duration).toBeCloseTo(0.7666682, 9);
    expect(onDemand.requests).toBeCloseTo(0.2, 12);
    expect(onDemand.total).toBeCloseTo(0.9666682, 9);
    expect(onDemand.perMillionImages).toBeCloseTo(0.9666682, 9);
  });

  it("arm64 at 1024 MB, 10 million requests of 100 ms", () => {
    const { onDemand } = estimateMonthlyCost({
      memoryMB: 1024,
      architecture: "arm64",
      requestsPerMonth: 10_000_000,
      durationMs: 100,
    });
    // 10e6 × 0.1 s × 1 GB = 1,000,000 GB-s × $0.0000133334 = $13.3334; requests $2.00
    expect(onDemand.duration).toBeCloseTo(13.3334, 9);
    expect(onDemand.total).toBeCloseTo(15.3334, 9);
    expect(onDemand.perMillionImages).toBeCloseTo(1.53334, 9);
  });

  it("a fractional GB memory size (1536 MB = 1.5 GB)", () => {
    const { onDemand } = estimateMonthlyCost({ memoryMB: 1536, architecture: "x86_64", requestsPerMonth: 2_000_000, durationMs: 9.2 });
    // billed 10 ms; 2e6 × 0.01 s × 1.5 GB = 30,000 GB-s × $0.0000166667 = $0.500001; requests $0.40
    expect(onDemand.duration).toBeCloseTo(0.500001, 9);
    expect(onDemand.total).toBeCloseTo(0.900001, 9);
  });
});

describe("provisioned concurrency", () => {
  it("one x86_64 instance at 2048 MB serving 1,000,000 × 23 ms: all within the instance", () => {
    const { provisioned } = estimateMonthlyCost({
      memoryMB: 2048,
      architecture: "x86_64",
      requestsPerMonth: 1_000_000,
      durationMs: 22.4,
      provisioned: 1,
    });
    if (!provisioned) throw new Error("no provisioned estimate");
    // enabled: 1 × 2 GB × 730 h × 3600 s = 5,256,000 GB-s × $0.0000041667 = $21.9001752
    expect(provisioned.enabled).toBeCloseTo(21.9001752, 7);
    // duration at the PC rate: 46,000 GB-s × $0.0000097222 = $0.4472212
    expect(provisioned.provisionedDuration).toBeCloseTo(0.4472212, 9);
    expect(provisioned.spilloverRequests).toBe(0);
    expect(provisioned.spilloverDuration).toBe(0);
    expect(provisioned.total).toBeCloseTo(22.5473964, 7);
    expect(provisioned.perMillionImages).toBeCloseTo(22.5473964, 7);
    // capacity: 2,628,000 s / 0.023 s = 114,260,869.56 → 114,260,869 requests
    expect(provisioned.capacityRequests).toBe(114_260_869);
  });

  it("requests beyond the instances' capacity spill over at the on-demand price", () => {
    const { provisioned } = estimateMonthlyCost({
      memoryMB: 1024,
      architecture: "arm64",
      requestsPerMonth: 30_000_000,
      durationMs: 200,
      provisioned: 2,
    });
    if (!provisioned) throw new Error("no provisioned estimate");
    // capacity: 2 × 2,628,000 s / 0.2 s = 26,280,000 requests; spillover 3,720,000
    expect(provisioned.capacityRequests).toBe(26_280_000);
    expect(provisioned.requestsWithinProvisioned).toBe(26_280_000);
    expect(provisioned.spilloverRequests).toBe(3_720_000);
    expect(provisioned.utilisation).toBeCloseTo(1, 12);
    // enabled: 2 × 1 GB × 2,628,000 s = 5,256,000 GB-s × $0.0000033334 = $17.5203504
    expect(provisioned.enabled).toBeCloseTo(17.5203504, 7);
    // within: 26,280,000 × 0.2 GB-s = 5,256,000 GB-s × $0.0000077778 = $40.8801168
    expect(provisioned.provisionedDuration).toBeCloseTo(40.8801168, 7);
    // spillover: 3,720,000 × 0.2 GB-s = 744,000 GB-s × $0.0000133334 = $9.9200496
    expect(provisioned.spilloverDuration).toBeCloseTo(9.9200496, 7);
    // requests: 30 × $0.20 = $6.00
    expect(provisioned.total).toBeCloseTo(17.5203504 + 40.8801168 + 9.9200496 + 6, 7);
  });

  it("break-even utilisation: x86_64 0.0000041667 / (0.0000166667 − 0.0000097222) = 60.0%", () => {
    const { provisionedBreakEvenUtilisation } = estimateMonthlyCost({
      memoryMB: 2048,
      architecture: "x86_64",
      requestsPerMonth: 1,
      durationMs: 1,
    });
    expect(provisionedBreakEvenUtilisation).toBeCloseTo(0.0000041667 / 0.0000069445, 12);
    expect(provisionedBreakEvenUtilisation).toBeCloseTo(0.6, 3);
  });

  it("no provisioned estimate without instances", () => {
    expect(estimateMonthlyCost({ memoryMB: 2048, architecture: "x86_64", requestsPerMonth: 5, durationMs: 5 }).provisioned).toBeUndefined();
  });
});

describe("input checks", () => {
  const base = { memoryMB: 2048, architecture: "x86_64" as const, requestsPerMonth: 1, durationMs: 10 };
  it.each([
    [{ memoryMB: 64 }, /memory/],
    [{ memoryMB: 20_000 }, /memory/],
    [{ memoryMB: 1000.5 }, /memory/],
    [{ architecture: "mips" as never }, /architecture/],
    [{ requestsPerMonth: -1 }, /requests/],
    [{ durationMs: 0 }, /duration/],
    [{ provisioned: 1.5 }, /provisioned/],
  ])("rejects %o", (change, message) => {
    expect(() => estimateMonthlyCost({ ...base, ...change })).toThrow(message);
  });
});

describe("measured duration from bench/results.json", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  const resultsFile = async (content: string) => {
    const dir = await mkdtemp(join(tmpdir(), "cost-"));
    dirs.push(dir);
    const path = join(dir, "results.json");
    await writeFile(path, content);
    return path;
  };

  it("reads the cost duration and says where it came from", async () => {
    const path = await resultsFile(
      JSON.stringify({ finishedAt: "2026-11-27T02:50:00Z", costDuration: { ms: 21.7, description: "warm p50, JPEG 640x480" } }),
    );
    const measured = await readMeasuredDuration(path);
    expect(measured?.ms).toBe(21.7);
    expect(measured?.description).toContain("warm p50, JPEG 640x480");
    expect(measured?.description).toContain("2026-11-27T02:50:00Z");
  });

  it("is undefined when the file is missing or has no duration", async () => {
    expect(await readMeasuredDuration(join(tmpdir(), "no-such-dir-for-cost", "results.json"))).toBeUndefined();
    expect(await readMeasuredDuration(await resultsFile(JSON.stringify({ finishedAt: "x" })))).toBeUndefined();
  });
});
