import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCost } from "./support/cost-cli.js";
import { breakEvenRps, costAt, fargateCurve, lambdaOnDemandCurve, type SteppedCost } from "../scripts/tools/cost/break-even.js";
import { compareWithFargate } from "../scripts/tools/cost/compare-fargate.js";
import { cpuEquivalentDurationMs } from "../scripts/tools/cost/cpu-equivalent-duration.js";
import { parseCompareOptions } from "../scripts/tools/cost/compare-options.js";
import { estimateFargateCost, type FargateService, lcuDimensions, lcusFor, taskHourlyPrice, tasksFor } from "../scripts/tools/cost/fargate-estimate.js";
import { checkTaskSize } from "../scripts/tools/cost/fargate-pricing.js";
import { readMeasuredThroughput, taskThroughput } from "../scripts/tools/cost/fargate-throughput.js";
import { estimateLambdaProfile, type LambdaFunction } from "../scripts/tools/cost/lambda-profile.js";
import { flatProfile, hourlyProfile, requestsPerMonth } from "../scripts/tools/cost/traffic-profile.js";

// Expectations are worked out by hand from the published prices, not by calling the code under test.
// A month is 730 h = 2,628,000 s; each hour of the typical day occurs 730 / 24 = 30.41666… times.
const sizes = { requestBytes: 40_000, responseBytes: 1_000 };
const service: FargateService = {
  architecture: "x86_64",
  taskCpuUnits: 1024,
  taskMemoryMB: 2048,
  taskRps: 50,
  targetUtilization: 0.6,
  minTasks: 2,
};
const lambda: LambdaFunction = { memoryMB: 2048, architecture: "x86_64", durationMs: 20 };

describe("Fargate task prices and sizes", () => {
  it("1 vCPU / 2 GB x86_64: 0.04048 + 2 × 0.004445 = $0.04937 an hour; 0.5 vCPU / 1 GB arm64: 0.01619 + 0.00356 = $0.01975", () => {
    expect(taskHourlyPrice(service)).toBeCloseTo(0.04937, 12);
    expect(taskHourlyPrice({ architecture: "arm64", taskCpuUnits: 512, taskMemoryMB: 1024 })).toBeCloseTo(0.01975, 12);
  });

  it("accepts Fargate's CPU/memory pairs only", () => {
    expect(() => checkTaskSize(1024, 2048)).not.toThrow();
    expect(() => checkTaskSize(8192, 20_480)).not.toThrow(); // 16 GB + one 4 GB step
    expect(() => checkTaskSize(8192, 18_432)).toThrow(/16384 to 61440 in steps of 4096 MB, got 18432/);
    expect(() => checkTaskSize(256, 4096)).toThrow(/512, 1024, 2048 MB/);
    expect(() => checkTaskSize(3000, 4096)).toThrow(/256, 512, 1024, 2048, 4096, 8192, 16384 CPU units/);
  });
});

describe("tasks and load balancer capacity at a steady rate", () => {
  it("tasks = max(2, ceil(rps / (50 × 0.6 = 30)))", () => {
    expect(tasksFor(0, service)).toBe(2);
    expect(tasksFor(60, service)).toBe(2); // 60 / 30 = 2
    expect(tasksFor(60.01, service)).toBe(3);
    expect(tasksFor(100, service)).toBe(4); // ceil(3.33)
  });

  it("LCUs: the busiest of new connections, active connections, processed bytes and rule evaluations", () => {
    // 10 requests/s of 50,000 B: new 10 / 25 = 0.4; active 10 × 60 / 3,000 = 0.2; bytes 10 × 3,600 × 50,000 / 1e9 = 1.8 GB
    const dims = lcuDimensions(10, 50_000);
    expect(dims.newConnections).toBeCloseTo(0.4, 12);
    expect(dims.activeConnections).toBeCloseTo(0.2, 12);
    expect(dims.processedBytes).toBeCloseTo(1.8, 12);
    expect(dims.ruleEvaluations).toBe(0); // one rule, the first 10 are free
    expect(lcusFor(10, 50_000)).toBeCloseTo(1.8, 12);
    // 1,000 B requests: bytes 0.036 GB, so new connections (0.4) are the busiest dimension
    expect(lcusFor(10, 1000)).toBeCloseTo(0.4, 12);
  });
});

describe("a flat 100 requests/s (262,800,000 a month) on Fargate", () => {
  const cost = estimateFargateCost(flatProfile(262_800_000, sizes), service);

  it("4 tasks all month: 4 × 730 = 2,920 task-hours × $0.04937 = $144.1604", () => {
    expect(cost.hourlyTasks).toEqual(Array(24).fill(4));
    expect(cost.taskHours).toBeCloseTo(2920, 9);
    expect(cost.tasks).toBeCloseTo(144.1604, 9);
    // 262.8 M requests over 2,920 h × 3,600 s × 50 requests/s = 525.6 M of capacity
    expect(cost.utilisation).toBeCloseTo(0.5, 12);
  });

  it("ALB: 730 × $0.0225 = $16.425; 100 × 3,600 × 41,000 B = 14.76 GB an hour → 10,774.8 LCU-hours × $0.008 = $86.1984", () => {
    expect(cost.loadBalancerHours).toBeCloseTo(16.425, 9);
    expect(cost.lcuHours).toBeCloseTo(10_774.8, 6);
    expect(cost.loadBalancerCapacity).toBeCloseTo(86.1984, 9);
    expect(cost.total).toBeCloseTo(144.1604 + 16.425 + 86.1984, 9);
    expect(cost.perMillionRequests).toBeCloseTo(246.7838 / 262.8, 9);
  });
});

describe("an hourly profile: 10 requests/s for hours 0–11, 70 for 12–23", () => {
  const profile = hourlyProfile([...Array<number>(12).fill(10), ...Array<number>(12).fill(70)], sizes);

  it("requests a month: (12 × 10 + 12 × 70) × 3,600 × 730 / 24 = 105,120,000", () => {
    expect(requestsPerMonth(profile)).toBeCloseTo(105_120_000, 3);
  });

  it("Fargate at 25 requests/s per task: 2 tasks, then 3 (70 / 25 = 2.8); (12 × 2 + 12 × 3) × 730/24 = 1,825 task-hours", () => {
    const cost = estimateFargateCost(profile, { ...service, targetUtilization: 0.5 });
    expect(cost.hourlyTasks).toEqual([...Array(12).fill(2), ...Array(12).fill(3)]);
    expect(cost.taskHours).toBeCloseTo(1825, 9);
    expect(cost.tasks).toBeCloseTo(1825 * 0.04937, 9); // $90.10025
    // LCUs (bytes): 10 → 1.476, 70 → 10.332 an hour; 12 × 11.808 × 730/24 = 4,309.92 LCU-hours × $0.008 = $34.47936
    expect(cost.lcuHours).toBeCloseTo(4309.92, 6);
    expect(cost.total).toBeCloseTo(90.10025 + 16.425 + 34.47936, 9);
  });

  it("Lambda on demand, 2048 MB x86_64, 20 ms: 4,204,800 GB-s × $0.0000166667 = $70.08014016 + 105.12 × $0.20", () => {
    const cost = estimateLambdaProfile(profile, lambda);
    expect(cost.onDemand.duration).toBeCloseTo(70.08014016, 7);
    expect(cost.onDemand.requests).toBeCloseTo(21.024, 9);
  });

  it("provisioned sized for the peak: 70 × 0.020 s = 1.4 → 2 instances, nothing spills over", () => {
    const { provisioned } = estimateLambdaProfile(profile, lambda);
    expect(provisioned.instances).toBe(2);
    expect(provisioned.sizedForPeak).toBe(true);
    // enabled 2 × 2 GB × 2,628,000 s = 10,512,000 GB-s × $0.0000041667 = $43.8003504
    expect(provisioned.enabled).toBeCloseTo(43.8003504, 7);
    // 4,204,800 GB-s × $0.0000097222 = $40.87990656
    expect(provisioned.provisionedDuration).toBeCloseTo(40.87990656, 7);
    expect(provisioned.spilloverRequests).toBeCloseTo(0, 6);
    expect(provisioned.total).toBeCloseTo(43.8003504 + 40.87990656 + 21.024, 7);
    // busy 105.12 M × 20 ms over 2 × 2,628,000,000 ms
    expect(provisioned.utilisation).toBeCloseTo(0.4, 12);
  });

  it("one given instance (50 requests/s) spills 20 requests/s over in the busy hours", () => {
    const { provisioned } = estimateLambdaProfile(profile, lambda, 1);
    // 12 h × 20 × 3,600 × 730/24 = 26,280,000 requests at on-demand: 1,051,200 GB-s × $0.0000166667 = $17.52003504
    expect(provisioned.spilloverRequests).toBeCloseTo(26_280_000, 3);
    expect(provisioned.spilloverDuration).toBeCloseTo(17.52003504, 7);
    // within: 78,840,000 × 0.04 GB-s = 3,153,600 GB-s × $0.0000097222 = $30.65992992; enabled $21.9001752
    expect(provisioned.provisionedDuration).toBeCloseTo(30.65992992, 7);
    expect(provisioned.enabled).toBeCloseTo(21.9001752, 7);
    expect(provisioned.sizedForPeak).toBe(false);
  });

  it("the comparison names Lambda on demand cheapest ($91.10 against $105.70 and $141.00)", () => {
    const comparison = compareWithFargate({ profile, lambda, service: { ...service, targetUtilization: 0.5 } });
    expect(comparison.cheapest).toBe("Lambda on demand");
    expect(comparison.lambda.onDemand.total).toBeCloseTo(91.10414016, 7);
    expect(comparison.fargate.total).toBeCloseTo(141.00461, 6);
  });
});

describe("break-even of stepped costs, solved between steps", () => {
  const linear = (perRps: number, fixed = 0): SteppedCost => ({ fixed, perRps });

  it("inside the first segment: 3r = 10 + r + 10 × max(2, ceil(r / 10)) at r = 15", () => {
    // (0, 20]: D = 2r − 30 → 0 at 15; (20, 30]: D = 2r − 40 > 0 (its limit at 20 is 0, not a crossing); later starts 10k − 20 ≥ 0
    const candidate: SteppedCost = { fixed: 10, perRps: 1, step: { unitRps: 10, minUnits: 2, unitCost: 10 } };
    expect(breakEvenRps(linear(3), candidate)).toBeCloseTo(15, 12);
  });

  it("a sawtooth: cheaper at 10 requests/s, dearer at 11, cheaper at every rate only from 182/3", () => {
    // D = 3r − 26 × ceil(r / 10): on (10k, 10k + 10] the root 26(k + 1)/3 lies inside while k < 6.5;
    // k = 6: 182/3 ≈ 60.67; k = 7 starts at 210 − 208 = 2 > 0
    const candidate: SteppedCost = { fixed: 0, perRps: 0, step: { unitRps: 10, minUnits: 1, unitCost: 26 } };
    expect(costAt(candidate, 10)).toBeLessThan(30);
    expect(costAt(candidate, 11)).toBeGreaterThan(33);
    expect(breakEvenRps(linear(3), candidate)).toBeCloseTo(182 / 3, 12);
  });

  it("at a jump of the incumbent's steps: 30 × ceil(r / 10) against 50 + 2.5r is last ≤ at r = 100", () => {
    // at r = 10(k + 1): 30(k + 1) − 25(k + 1) − 50 ≤ 0 while k + 1 ≤ 10; just above 100: 330 − 250 − 50 = 30 > 0
    const incumbent: SteppedCost = { fixed: 0, perRps: 0, step: { unitRps: 10, minUnits: 0, unitCost: 30 } };
    expect(breakEvenRps(incumbent, linear(2.5, 50))).toBe(100);
  });

  it("never when the candidate's average cost per request/s is not lower", () => {
    const candidate: SteppedCost = { fixed: 0, perRps: 1, step: { unitRps: 10, minUnits: 1, unitCost: 15 } }; // 1 + 1.5
    expect(breakEvenRps(linear(2.5), candidate)).toBeUndefined();
    expect(breakEvenRps(linear(2), candidate)).toBeUndefined();
  });

  it("the curves agree with the monthly estimates at a steady rate", () => {
    const profile = flatProfile(100 * 2_628_000, sizes);
    expect(costAt(fargateCurve(service, 41_000), 100)).toBeCloseTo(estimateFargateCost(profile, service).total, 9);
    expect(costAt(lambdaOnDemandCurve(lambda), 100)).toBeCloseTo(estimateLambdaProfile(profile, lambda).onDemand.total, 9);
  });

  it("Fargate (x86_64, 30 requests/s per task, min 2, 41,000 B) against Lambda on demand (2048 MB, 20 ms): 240.73 requests/s", () => {
    // Lambda: 2,628,000 × (2e-7 + 0.04 × 0.0000166667) = $2.277603504 per request/s a month
    // Fargate: $16.425 + 730 × 0.008 × 0.1476 = $0.861984 per request/s + n × 730 × 0.04937 = n × $36.0401
    // On (30(n − 1), 30n]: D = 1.415619504 r − 16.425 − 36.0401 n; D at the segment's start = 6.428 n − 58.894 < 0 up to n = 9,
    // so the answer is n = 9's root: (16.425 + 9 × 36.0401) / 1.415619504 ≈ 240.73
    const expected = (16.425 + 9 * 730 * 0.04937) / (2.277603504 - 0.861984);
    const comparison = compareWithFargate({ profile: flatProfile(1_000_000, sizes), lambda, service });
    expect(comparison.breakEven.onDemand.rps).toBeCloseTo(expected, 6);
    expect(comparison.breakEven.onDemand.tasks).toBe(9);
    expect(comparison.breakEven.onDemand.requestsPerMonth).toBeCloseTo(expected * 2_628_000, 0);
    // provisioned (sized): requests 2,628,000 × 2e-7 = $0.5256, duration 2,628,000 × 0.04 × 0.0000097222 = $1.022000
    // (rounded), instances 2 GB × 2,628,000 s × 0.0000041667 = $21.9001752 per 50 requests/s = $0.438003504:
    // $1.985601168 per request/s, below Fargate's 0.861984 + 36.0401 / 30 = $2.063321 → never
    expect(comparison.breakEven.provisioned.rps).toBeUndefined();
    expect(comparison.perRpsMonth["Lambda provisioned"]).toBeCloseTo(0.5256 + 1.021997664 + 0.438003504, 9);
    expect(comparison.perRpsMonth["Fargate + ALB"]).toBeCloseTo(0.861984 + 36.0401 / 30, 9);
  });
});

describe("task throughput", () => {
  const points = { points: [{ vcpus: 1, requestsPerSecond: 40, p99Ms: 80 }, { vcpus: 2, requestsPerSecond: 70, p99Ms: 90 }], description: "server entry" };
  it("--task-rps, else the point at the task's vCPUs, else the nearest point scaled, else npm start per vCPU, else 30 per vCPU", () => {
    expect(taskThroughput(1, { points }, 12).rps).toBe(12);
    expect(taskThroughput(2, { points }).rps).toBe(70);
    expect(taskThroughput(4, { points }).rps).toBe(140); // 70 / 2 × 4
    expect(taskThroughput(0.5, { points }).rps).toBe(20); // 40 / 1 × 0.5
    expect(taskThroughput(2, { serverPerVcpu: { rps: 33.9, description: "npm start" } }).rps).toBeCloseTo(67.8, 12);
    const fallback = taskThroughput(2, {});
    expect(fallback.rps).toBe(60);
    expect(fallback.source).toContain("documented default");
  });

  it("reads costFargateThroughput, else the server phase per core, from bench/results.json", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cost-fargate-"));
    try {
      const path = join(dir, "results.json");
      await writeFile(path, JSON.stringify({ finishedAt: "T", machine: { cpus: 2 }, server: { runs: [{ requestsPerSecond: 60 }, { requestsPerSecond: 68 }] } }));
      expect((await readMeasuredThroughput(path)).serverPerVcpu?.rps).toBe(34);
      await writeFile(path, JSON.stringify({ finishedAt: "T", costFargateThroughput: points }));
      expect((await readMeasuredThroughput(path)).points?.points).toEqual(points.points);
      expect(await readMeasuredThroughput(join(dir, "missing.json"))).toEqual({});
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("--compare fargate options", () => {
  it("defaults: 2048 MB x86_64, 1 vCPU / 2 GB task, 60%, 2 tasks, a 40,500 B JPEG request", () => {
    const options = parseCompareOptions({ "requests-per-month": "1_000_000" });
    expect(options).toMatchObject({ memoryMB: 2048, architecture: "x86_64", taskCpuUnits: 1024, taskMemoryMB: 2048, targetUtilization: 0.6, minTasks: 2 });
    expect(options.profile.requestBytes).toBe(40_500);
    expect(options.profile.hourlyRps[0]).toBeCloseTo(1_000_000 / 2_628_000, 12);
  });

  it.each([
    [{}, /--requests-per-month N or --hourly-rps/],
    [{ "requests-per-month": "1", "hourly-rps": "1" }, /one traffic profile/],
    [{ "hourly-rps": "1,2,3" }, /--hourly-rps must be 24 comma-separated/],
    [{ "hourly-rps": `${"1,".repeat(23)}-1` }, /--hourly-rps/],
    [{ "requests-per-month": "1", "task-cpu": "1000" }, /--task-cpu: task CPU must be one of/],
    [{ "requests-per-month": "1", "task-memory": "1024" }, /--task-memory: task memory for 1024 CPU units must be 2048 to 8192/],
    [{ "requests-per-month": "1", "target-utilization": "1.5" }, /--target-utilization must be above 0 and at most 1, got 1.5/],
    [{ "requests-per-month": "1", "min-tasks": "0" }, /--min-tasks must be a whole number ≥ 1/],
    [{ "requests-per-month": "1", "task-rps": "0" }, /--task-rps must be a positive number/],
    [{ "requests-per-month": "1", memory: "64" }, /--memory must be a whole number of MB from 128/],
    [{ "requests-per-month": "1", provisioned: "1.5" }, /--provisioned must be a whole number/],
    [{ "requests-per-month": "1", arch: "mips" }, /--arch must be x86_64 or arm64/],
    [{ "requests-per-month": "1", "request-bytes": "x" }, /--request-bytes must be a number, got "x"/],
  ])("%j is refused naming the option", (raw, message) => {
    expect(() => parseCompareOptions(raw)).toThrow(message);
  });
});

describe("npm run cost -- --compare fargate", () => {
  let cwd: string;
  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), "cost-fargate-cli-"));
    await mkdir(join(cwd, "bench"));
  });
  afterAll(() => rm(cwd, { recursive: true, force: true }));
  const cost = (args: string[]) => runCost(args, cwd);

  it("prints the three options, the cheapest and the break-even rows", async () => {
    const { code, stdout } = await cost(["--compare", "fargate", "--requests-per-month", "262_800_000", "--duration-ms", "20", "--task-rps", "50", "--request-bytes", "40000"]);
    expect(code).toBe(0);
    expect(stdout).toContain("flat 100 requests/s; 262,800,000 requests/month");
    expect(stdout).toMatch(/Lambda on demand\s+\$\d/);
    expect(stdout).toMatch(/Lambda provisioned × 2\s+\$\d/); // 100 × 0.020 s = 2 instances
    expect(stdout).toMatch(/Fargate \+ ALB\s+\$246\.78\s+\$0\.9391/);
    expect(stdout).toContain("tasks by hour 0–23: 4 4 4");
    expect(stdout).toMatch(/cheapest for this traffic: (Lambda on demand|Lambda provisioned|Fargate \+ ALB)/);
    expect(stdout).toMatch(/Fargate \+ ALB vs Lambda on demand\s+cheaper at every rate above 240\.73 requests\/s/);
    expect(stdout).toMatch(/Fargate \+ ALB vs Lambda provisioned\s+never/);
    expect(stdout).toContain("given with --task-rps");
  });

  it("--json has the comparison", async () => {
    const { code, stdout } = await cost(["--compare", "fargate", "--hourly-rps", Array(24).fill("100").join(","), "--duration-ms", "20", "--json"]);
    expect(code).toBe(0);
    const parsed = JSON.parse(stdout) as { fargate: { hourlyTasks: number[] }; sources: { throughput: string } };
    expect(parsed.fargate.hourlyTasks).toHaveLength(24);
    expect(parsed.sources.throughput).toContain("documented default"); // no bench results in this folder
  });

  it.each([
    [["--compare", "lambda", "--requests-per-month", "1"], /--compare must be fargate, got "lambda"/],
    [["--compare", "fargate", "--requests-per-month", "1", "--duration-ms", "5", "--task-cpu", "100"], /--task-cpu/],
    [["--compare", "fargate", "--hourly-rps", "1,2", "--duration-ms", "5"], /--hourly-rps must be 24/],
    [["--compare", "fargate", "--requests-per-month", "1", "--duration-ms", "5", "--batch-size", "4"], /--batch-size does not apply to --compare fargate/],
    [["--compare", "fargate", "--requests-per-month", "1"], /no --duration-ms and no measured duration/],
    [["--task-rps", "5"], /--task-rps needs --compare fargate/],
  ])("%j exits 2 naming the option", async (args, message) => {
    const { code, stderr } = await cost(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain("Usage: npm run cost");
  });
});

describe("the Lambda duration --compare fargate assumes", () => {
  it("is the CPU time the task's throughput implies, on the function's share of vCPUs", () => {
    // 1 vCPU serving 33.9 requests/s: 1000 / 33.9 = 29.499 ms of a vCPU per request;
    // 2048 MB has 2048 / 1769 = 1.15772 vCPU → 29.499 / 1.15772 = 25.480 ms.
    expect(cpuEquivalentDurationMs(1, 33.9, 2048)).toBeCloseTo(25.48, 2);
    // 2 vCPUs serving 80 requests/s: 25 ms of a vCPU per request; 1769 MB = 1 vCPU → 25 ms; 3538 MB → 12.5 ms.
    expect(cpuEquivalentDurationMs(2, 80, 1769)).toBeCloseTo(25, 10);
    expect(cpuEquivalentDurationMs(2, 80, 3538)).toBeCloseTo(12.5, 10);
  });

  it("defaults to that CPU-equivalent time when it is above the bench's in-process latency, else to the latency", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "cost-fargate-duration-"));
    try {
      await mkdir(join(cwd, "bench"));
      const results = (rps: number) => ({
        finishedAt: "2026-12-02T00:00:00Z",
        costDuration: { ms: 13, description: "in-process p50" },
        costFargateThroughput: { description: "server.mjs pinned", points: [{ vcpus: 1, requestsPerSecond: rps, p99Ms: 40 }] },
      });
      const run = async (rps: number) => {
        await writeFile(join(cwd, "bench", "results.json"), JSON.stringify(results(rps)));
        const { code, stdout, stderr } = await runCost(["--compare", "fargate", "--requests-per-month", "1e8"], cwd);
        expect(code, stderr).toBe(0);
        return stdout;
      };
      // 1000 / 40 / (2048 / 1769) = 21.594 ms → billed 22 ms.
      expect(await run(40)).toMatch(/2048 MB, 21\.594 ms per request \(the CPU time of the task's throughput below, on 1\.16 vCPU .*→ billed 22 ms/);
      // 1000 / 100 / 1.15772 = 8.64 ms, under the measured 13 ms: the latency stands.
      expect(await run(100)).toMatch(/2048 MB, 13 ms per request \(measured: in-process p50/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});

describe("client keep-alive and the load balancer's connection LCUs", () => {
  it("divides new and active connections by the requests each connection carries; bytes are unchanged", () => {
    // 100 requests/s of 1,000 bytes, 10 per connection: 10 new connections/s → 10 / 25 = 0.4 LCU;
    // active: 10 × 60 = 600 a minute → 600 / 3000 = 0.2; bytes: 100 × 3600 × 1000 / 1e9 = 0.36 GB/h → 0.36 LCU.
    const dims = lcuDimensions(100, 1000, 10);
    expect(dims.newConnections).toBeCloseTo(0.4, 12);
    expect(dims.activeConnections).toBeCloseTo(0.2, 12);
    expect(dims.processedBytes).toBeCloseTo(0.36, 12);
    expect(lcusFor(100, 1000, 10)).toBeCloseTo(0.4, 12);
    // One request per connection: 100 / 25 = 4 LCU, the default.
    expect(lcusFor(100, 1000)).toBeCloseTo(4, 12);
  });

  it("--requests-per-connection lowers the Fargate total and is refused below 1", async () => {
    const options = (perConnection?: string) =>
      parseCompareOptions({ "requests-per-month": "1e8", "request-bytes": "500", "response-bytes": "500", "duration-ms": "12", "task-rps": "70", ...(perConnection && { "requests-per-connection": perConnection }) });
    const total = (perConnection?: string) => {
      const parsed = options(perConnection);
      return compareWithFargate({
        profile: parsed.profile,
        lambda: { memoryMB: parsed.memoryMB, architecture: parsed.architecture, durationMs: 12 },
        service: { architecture: parsed.architecture, taskCpuUnits: parsed.taskCpuUnits, taskMemoryMB: parsed.taskMemoryMB, taskRps: 70, targetUtilization: parsed.targetUtilization, minTasks: parsed.minTasks },
      }).fargate.loadBalancerCapacity;
    };
    // 1e8 / 2,628,000 s = 38.05 requests/s. One per connection: 38.05 / 25 = 1.522 LCU × 730 h × $0.008 = $8.89.
    expect(total()).toBeCloseTo(8.889, 2);
    // 100 per connection: new connections 0.0152 LCU; bytes 38.05 × 3600 × 1000 / 1e9 = 0.137 LCU → $0.80.
    expect(total("100")).toBeCloseTo(0.8, 2);
    expect(() => options("0.5")).toThrow(/--requests-per-connection must be at least 1, got 0.5/);
  });
});
