import { parseArgs } from "node:util";
import { batchCost } from "./batch-command.js";
import { compareWithFargate } from "./compare-fargate.js";
import { formatFargateComparison } from "./compare-format.js";
import { type CompareOptions, parseCompareOptions } from "./compare-options.js";
import { CPU_UNITS_PER_VCPU } from "./fargate-pricing.js";
import { readMeasuredThroughput, taskThroughput } from "./fargate-throughput.js";
import { CHILD_EXECUTION_TYPES, type ChildExecutionType, ITEM_SOURCES, type ItemSource } from "./batch-estimate.js";
import { estimateMonthlyCost } from "./estimate.js";
import { formatEstimate } from "./format.js";
import { comparisonDuration } from "./cpu-equivalent-duration.js";
import { readMeasuredBatchDurations, readMeasuredDuration } from "./measured-duration.js";
import { ARCHITECTURES, type Architecture } from "./pricing.js";

const usage = `Usage: npm run cost -- --memory MB --arch x86_64|arm64 --requests-per-month N [--provisioned K] [--duration-ms D] [--json]
       npm run cost -- --batch-size N [--images I] [--memory MB] [--arch x86_64|arm64] [--execution-type STANDARD|EXPRESS]
                       [--source listing|manifest] [--overhead-ms A --per-image-ms B] [--json]
       npm run cost -- --compare fargate (--requests-per-month N | --hourly-rps r0,…,r23) [--request-bytes B] [--response-bytes B]
                       [--requests-per-connection C]
                       [--memory MB] [--arch x86_64|arm64] [--duration-ms D] [--provisioned K] [--task-cpu UNITS] [--task-memory MB]
                       [--target-utilization U] [--min-tasks M] [--task-rps R] [--json]

Monthly AWS Lambda cost (us-east-1) of serving N requests on-demand and with K provisioned-concurrency instances.
The duration defaults to the warm end-to-end time measured by the last \`npm run bench\` (bench/results.json);
--duration-ms overrides it. Billed duration is rounded up to a whole millisecond, as Lambda bills.

With --batch-size: the cost of one batch job of I images (default 1,000,000) through a Step Functions Distributed Map
with N images per invocation (1 to 1000), beside the same job with 1 image per invocation: Lambda requests and
duration (arm64 and x86_64 unless --arch), Step Functions transitions (STANDARD children, the default) or EXPRESS
executions, S3 LIST (listing source, the default) / GET / ResultWriter PUT requests. --memory defaults to 2048 MB.
The duration of one invocation is A + B × N ms: measured by the last \`npm run bench\` (batch phase) unless both
--overhead-ms and --per-image-ms are given, else documented defaults.

With --compare fargate: the monthly cost of a traffic profile (N requests a month evenly, or 24 requests/s values for
the hours of a typical day) on Lambda on demand, on Lambda with K provisioned instances (default: enough for the peak
hour, requests/s × billed duration) and on ECS Fargate behind an Application Load Balancer, with per hour
max(--min-tasks, ceil(requests/s / (--task-rps × --target-utilization))) tasks; then the steady requests/s above which
Fargate is cheaper than each Lambda option. Defaults: --memory 2048, --arch x86_64, --task-cpu 1024 (CPU units, 1 vCPU)
--task-memory 2048, --target-utilization 0.6, --min-tasks 2 (one per Availability Zone), request 40,500 B and response
1,000 B (a 640×480 JPEG with headers; the load balancer's LCUs count them), 1 request per client connection (no
keep-alive: the load balancer's new- and active-connection LCUs at their worst; --requests-per-connection C for clients
that keep connections open). --task-rps (requests/s of one task at 100%)
defaults to the bench's server-entry measurement, else npm start's measured rate per vCPU, else 30 per vCPU.
--duration-ms defaults to the CPU time that throughput implies on the function's vCPUs (memory ÷ 1769 MB), or to the
bench's warm latency when that is longer: both options are priced from the same measured CPU cost.`;

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}

function numberOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw.replaceAll("_", ""));
  if (raw.trim() === "" || !Number.isFinite(value)) fail(`--${name} must be a number, got "${raw}"`);
  return value;
}

function choice<T extends string>(name: string, raw: string | undefined, allowed: readonly T[], fallback: T): T {
  if (raw === undefined) return fallback;
  if (!allowed.includes(raw as T)) fail(`--${name} must be ${allowed.join(" or ")}, got "${raw}"`);
  return raw as T;
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      memory: { type: "string" },
      arch: { type: "string" },
      "requests-per-month": { type: "string" },
      provisioned: { type: "string" },
      "duration-ms": { type: "string" },
      "batch-size": { type: "string" },
      images: { type: "string" },
      "execution-type": { type: "string" },
      source: { type: "string" },
      "overhead-ms": { type: "string" },
      "per-image-ms": { type: "string" },
      compare: { type: "string" },
      "hourly-rps": { type: "string" },
      "request-bytes": { type: "string" },
      "requests-per-connection": { type: "string" },
      "response-bytes": { type: "string" },
      "task-cpu": { type: "string" },
      "task-memory": { type: "string" },
      "target-utilization": { type: "string" },
      "min-tasks": { type: "string" },
      "task-rps": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
if (values.help) {
  console.log(usage);
  process.exit(0);
}

const batchOnly = ["images", "execution-type", "source", "overhead-ms", "per-image-ms"] as const;
const requestsOnly = ["requests-per-month", "provisioned", "duration-ms"] as const;
const compareOnly = ["hourly-rps", "request-bytes", "response-bytes", "requests-per-connection", "task-cpu", "task-memory", "target-utilization", "min-tasks", "task-rps"] as const;

if (values.compare !== undefined) {
  if (values.compare !== "fargate") fail(`--compare must be fargate, got "${values.compare}"`);
  for (const name of ["batch-size", ...batchOnly] as const) if (values[name] !== undefined) fail(`--${name} does not apply to --compare fargate`);
  let options: CompareOptions;
  try {
    options = parseCompareOptions(values);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    fail(error.message);
  }
  const taskVcpus = options.taskCpuUnits / CPU_UNITS_PER_VCPU;
  const throughput = taskThroughput(taskVcpus, await readMeasuredThroughput(), options.taskRps);
  let durationMs = options.durationMs;
  let durationSource = "given with --duration-ms";
  if (durationMs === undefined) {
    const measured = await readMeasuredDuration();
    if (!measured) fail("no --duration-ms and no measured duration in bench/results.json: run `npm run bench` or pass --duration-ms");
    ({ ms: durationMs, source: durationSource } = comparisonDuration(measured, taskVcpus, throughput.rps, options.memoryMB));
  }
  const comparison = compareWithFargate({
    profile: options.profile,
    lambda: { memoryMB: options.memoryMB, architecture: options.architecture, durationMs },
    provisioned: options.provisioned,
    service: {
      architecture: options.architecture,
      taskCpuUnits: options.taskCpuUnits,
      taskMemoryMB: options.taskMemoryMB,
      taskRps: throughput.rps,
      targetUtilization: options.targetUtilization,
      minTasks: options.minTasks,
    },
  });
  const sources = { duration: durationSource, throughput: throughput.source };
  console.log(values.json ? JSON.stringify({ sources, ...comparison }, null, 2) : formatFargateComparison(comparison, sources));
  process.exit(0);
}
for (const name of compareOnly) if (values[name] !== undefined) fail(`--${name} needs --compare fargate`);

if (values["batch-size"] !== undefined) {
  for (const name of requestsOnly) {
    if (values[name] !== undefined) fail(`--${name} does not apply to a batch job (--batch-size)${name === "duration-ms" ? ": use --overhead-ms and --per-image-ms" : ""}`);
  }
  const overheadMs = numberOption("overhead-ms", values["overhead-ms"]);
  const perImageMs = numberOption("per-image-ms", values["per-image-ms"]);
  if ((overheadMs === undefined) !== (perImageMs === undefined)) fail("--overhead-ms and --per-image-ms go together");
  if (overheadMs !== undefined && overheadMs < 0) fail(`--overhead-ms must not be negative, got ${overheadMs}`);
  if (perImageMs !== undefined && perImageMs <= 0) fail(`--per-image-ms must be positive, got ${perImageMs}`);
  const arch = values.arch === undefined ? undefined : choice<Architecture>("arch", values.arch, ARCHITECTURES, "arm64");
  let answer;
  try {
    answer = batchCost(
      {
        batchSize: numberOption("batch-size", values["batch-size"])!,
        images: numberOption("images", values.images) ?? 1_000_000,
        memoryMB: numberOption("memory", values.memory) ?? 2048,
        architectures: arch ? [arch] : ["arm64", "x86_64"],
        childExecutionType: choice<ChildExecutionType>("execution-type", values["execution-type"], CHILD_EXECUTION_TYPES, "STANDARD"),
        source: choice<ItemSource>("source", values.source, ITEM_SOURCES, "listing"),
        overheadMs,
        perImageMs,
      },
      await readMeasuredBatchDurations(),
    );
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    fail(error.message);
  }
  console.log(values.json ? JSON.stringify({ durationSource: answer.durationSource, ...answer.comparison }, null, 2) : answer.text);
  process.exit(0);
}

for (const name of batchOnly) if (values[name] !== undefined) fail(`--${name} needs --batch-size`);

const memoryMB = numberOption("memory", values.memory) ?? fail("--memory is required");
const requestsPerMonth = numberOption("requests-per-month", values["requests-per-month"]) ?? fail("--requests-per-month is required");
const architecture = (values.arch ?? fail("--arch is required")) as Architecture;
if (!ARCHITECTURES.includes(architecture)) fail(`--arch must be x86_64 or arm64, got "${values.arch}"`);
const provisioned = numberOption("provisioned", values.provisioned);

let durationMs = numberOption("duration-ms", values["duration-ms"]);
let durationSource = "given with --duration-ms";
if (durationMs === undefined) {
  const measured = await readMeasuredDuration();
  if (!measured) fail("no --duration-ms and no measured duration in bench/results.json: run `npm run bench` or pass --duration-ms");
  durationMs = measured.ms;
  durationSource = `measured: ${measured.description}`;
}

let estimate;
try {
  estimate = estimateMonthlyCost({ memoryMB, architecture, requestsPerMonth, durationMs, provisioned });
} catch (error) {
  fail((error as Error).message);
}
console.log(values.json ? JSON.stringify({ durationSource, ...estimate }, null, 2) : formatEstimate(estimate, durationSource));
