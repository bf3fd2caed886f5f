import { describe, expect, it } from "vitest";
import { emptyBenchResults } from "./support/bench-results.js";
import { batchSizeCosts } from "../scripts/tools/bench/batch-costs.js";
import type { BatchSizeRun } from "../scripts/tools/bench/phases/batch-sizes.js";
import { renderReport } from "../scripts/tools/bench/report.js";
import { batchCostTarget, type BenchResults, evaluateTargets } from "../scripts/tools/bench/results.js";

const summary = (p50: number) => ({ n: 10, p50, p95: p50 * 1.5, p99: p50 * 2, min: p50, mean: p50 });
const run = (batchSize: number, p50: number): BatchSizeRun => ({
  batchSize,
  invocations: 320 / batchSize,
  invocationMs: summary(p50),
  imagesPerSecond: (batchSize / p50) * 1000,
  imagesPerSecondPerCore: (batchSize / p50) * 500,
  cpuMsPerImage: 20,
});

// Hand-computed (see test/cost-batch.test.ts): 1M images, 2048 MB, STANDARD children, a listing.
describe("bench: batch sizes priced with the cost model", () => {
  const costs = batchSizeCosts({ runs: [run(1, 35), run(16, 259.2)] });

  it("each size's p50 becomes a job's cost per million images, arm64 and x86_64, and the Lambda part alone", () => {
    expect(costs.map((cost) => cost.batchSize)).toEqual([1, 16]);
    expect(costs[0]!.perMillionImages.arm64).toBeCloseTo(76.538423, 9);
    expect(costs[0]!.perMillionImages.x86_64).toBeCloseTo(0.2 + 1.166669 + 75.000075 + 0.40501, 9);
    expect(costs[1]!.perMillionImages.arm64).toBeCloseTo(5.5384205, 9);
    // requests $0.0125 + duration $0.4333355
    expect(costs[1]!.lambdaPerMillionImages.arm64).toBeCloseTo(0.4458355, 9);
    expect(costs[1]!.invocationMs).toBe(259.2);
  });

  it("the target: met at ≥ 2× cheaper per image at the best batch size on both architectures", () => {
    const target = batchCostTarget(costs);
    expect(target.met).toBe(true);
    expect(target.measured).toContain("best 16 per invocation");
    expect(target.measured).toContain("arm64 $5.54 vs $76.54 per million images → 13.82×");
  });

  it("missed when batching does not pay: the gap names the worse architecture's ratio", () => {
    // 25 s per batch of 16: arm64 ≈ $46.77 vs $76.54 (1.64×), x86_64 ≈ $57.19 vs $76.77 (1.34×)
    const target = batchCostTarget(batchSizeCosts({ runs: [run(1, 35), run(16, 25_000)] }));
    expect(target.met).toBe(false);
    expect(target.gap).toBe("1.34× instead of ≥ 2×");
  });

  it("not measured without the phase or without the one-image baseline", () => {
    expect(batchCostTarget(undefined)).toMatchObject({ met: undefined, measured: "not measured" });
    expect(batchCostTarget(batchSizeCosts({ runs: [run(16, 200)] })).met).toBeUndefined();
  });

  it("the report has the batch-size table and the target", () => {
    const runs = [run(1, 35), run(8, 140), run(16, 259.2), run(32, 500)];
    const measured = {
      ...emptyBenchResults,
      batchSizes: { image: "jpeg-640x480", threads: 2, rounds: 10, imagesPerTurn: 32, runs, costs: batchSizeCosts({ runs }) },
    } satisfies Omit<BenchResults, "targets">;
    const targets = evaluateTargets(measured);
    expect(targets.find((t) => t.name.startsWith("Batch scoring"))?.met).toBe(true);
    const report = renderReport({ ...measured, targets });
    expect(report).toContain("## Batch sizes (Distributed Map)");
    expect(report).toContain("| images / invocation | invocations | invocation p50 |");
    expect(report).toContain("| 16 | 20 | 259.20 | 388.80 | 16.20 |");
    expect(report).toMatch(/\| 16 \|.*\| \$5\.54 \| .* \| 13\.82× \|/);
  });
});
