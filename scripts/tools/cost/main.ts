import { parseArgs } from "node:util";
import { estimateMonthlyCost } from "./estimate.js";
import { formatEstimate } from "./format.js";
import { readMeasuredDuration } from "./measured-duration.js";
import { ARCHITECTURES, type Architecture } from "./pricing.js";

const usage = `Usage: npm run cost -- --memory MB --arch x86_64|arm64 --requests-per-month N [--provisioned K] [--duration-ms D] [--json]

Monthly AWS Lambda cost (us-east-1) of serving N requests on-demand and with K provisioned-concurrency instances.
The duration defaults to the warm end-to-end time measured by the last \`npm run bench\` (bench/results.json);
--duration-ms overrides it. Billed duration is rounded up to a whole millisecond, as Lambda bills.`;

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

let values;
try {
  ({ values } = parseArgs({
    options: {
      memory: { type: "string" },
      arch: { type: "string" },
      "requests-per-month": { type: "string" },
      provisioned: { type: "string" },
      "duration-ms": { type: "string" },
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
