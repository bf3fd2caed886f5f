import { checkTaskSize, CPU_UNITS_PER_VCPU } from "./fargate-pricing.js";
import { ARCHITECTURES, type Architecture, MAX_MEMORY_MB, MIN_MEMORY_MB } from "./pricing.js";
import { DEFAULT_REQUEST_BYTES, DEFAULT_REQUESTS_PER_CONNECTION, DEFAULT_RESPONSE_BYTES, flatProfile, HOURS_PER_DAY, hourlyProfile, type TrafficProfile } from "./traffic-profile.js";

/** The raw `--compare fargate` options, as parseArgs returns them. */
export interface RawCompareOptions {
  memory?: string;
  arch?: string;
  "requests-per-month"?: string;
  "hourly-rps"?: string;
  "request-bytes"?: string;
  "response-bytes"?: string;
  "requests-per-connection"?: string;
  provisioned?: string;
  "task-cpu"?: string;
  "task-memory"?: string;
  "target-utilization"?: string;
  "min-tasks"?: string;
  "task-rps"?: string;
  "duration-ms"?: string;
}

export interface CompareOptions {
  profile: TrafficProfile;
  memoryMB: number;
  architecture: Architecture;
  provisioned?: number;
  taskCpuUnits: number;
  taskMemoryMB: number;
  targetUtilization: number;
  minTasks: number;
  taskRps?: number;
  durationMs?: number;
}

/**
 * Defaults: a 2048 MB Lambda; x86_64 (the stages' default architecture); a 1 vCPU / 2 GB task (Fargate's smallest
 * with a whole vCPU and the 2 GB the function gets); autoscaling to 60% CPU, leaving headroom for a burst while a new
 * task starts (about a minute); at least 2 tasks, one in each of two Availability Zones, as a load balancer needs.
 */
export const COMPARE_DEFAULTS = {
  memoryMB: 2048,
  architecture: "x86_64" as Architecture,
  taskCpuUnits: 1024,
  taskMemoryMB: 2048,
  targetUtilization: 0.6,
  minTasks: 2,
} as const;

function number(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw.replaceAll("_", ""));
  if (raw.trim() === "" || !Number.isFinite(value)) throw new RangeError(`--${name} must be a number, got "${raw}"`);
  return value;
}

function check(name: string, value: number | undefined, ok: (value: number) => boolean, rule: string): number | undefined {
  if (value !== undefined && !ok(value)) throw new RangeError(`--${name} must be ${rule}, got ${value}`);
  return value;
}

const wholeAtLeast = (min: number) => (value: number) => Number.isInteger(value) && value >= min;

function hourlyRps(raw: string): number[] {
  const values = raw.split(",").map((part) => Number(part.trim().replaceAll("_", "")));
  const parts = raw.split(",");
  if (parts.length !== HOURS_PER_DAY || parts.some((part, i) => part.trim() === "" || !Number.isFinite(values[i]) || values[i]! < 0)) {
    throw new RangeError(`--hourly-rps must be 24 comma-separated non-negative requests/s (hours 0 to 23), got "${raw}"`);
  }
  return values;
}

/** Checks and defaults the options; every RangeError names the option at fault. */
export function parseCompareOptions(raw: RawCompareOptions): CompareOptions {
  const sizes = {
    requestBytes: check("request-bytes", number("request-bytes", raw["request-bytes"]), (v) => v >= 0, "a non-negative number of bytes") ?? DEFAULT_REQUEST_BYTES,
    responseBytes: check("response-bytes", number("response-bytes", raw["response-bytes"]), (v) => v >= 0, "a non-negative number of bytes") ?? DEFAULT_RESPONSE_BYTES,
    requestsPerConnection:
      check("requests-per-connection", number("requests-per-connection", raw["requests-per-connection"]), (v) => v >= 1, "at least 1") ??
      DEFAULT_REQUESTS_PER_CONNECTION,
  };
  const monthly = check("requests-per-month", number("requests-per-month", raw["requests-per-month"]), (v) => v >= 0, "a non-negative number");
  if ((monthly === undefined) === (raw["hourly-rps"] === undefined)) {
    throw new RangeError("give one traffic profile: --requests-per-month N or --hourly-rps r0,…,r23");
  }
  const profile = monthly !== undefined ? flatProfile(monthly, sizes) : hourlyProfile(hourlyRps(raw["hourly-rps"]!), sizes);

  const architecture = (raw.arch ?? COMPARE_DEFAULTS.architecture) as Architecture;
  if (!ARCHITECTURES.includes(architecture)) throw new RangeError(`--arch must be x86_64 or arm64, got "${raw.arch}"`);
  const taskCpuUnits = number("task-cpu", raw["task-cpu"]) ?? COMPARE_DEFAULTS.taskCpuUnits;
  const taskMemoryMB = number("task-memory", raw["task-memory"]) ?? COMPARE_DEFAULTS.taskMemoryMB;
  try {
    checkTaskSize(taskCpuUnits, taskMemoryMB);
  } catch (error) {
    const name = (error as Error).message.startsWith("task CPU") ? "--task-cpu" : "--task-memory";
    throw new RangeError(`${name}: ${(error as Error).message} (--task-cpu is in CPU units, ${CPU_UNITS_PER_VCPU} = 1 vCPU)`, { cause: error });
  }
  return {
    profile,
    architecture,
    memoryMB:
      check("memory", number("memory", raw.memory), (v) => Number.isInteger(v) && v >= MIN_MEMORY_MB && v <= MAX_MEMORY_MB, `a whole number of MB from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB}`) ??
      COMPARE_DEFAULTS.memoryMB,
    provisioned: check("provisioned", number("provisioned", raw.provisioned), wholeAtLeast(0), "a whole number ≥ 0"),
    taskCpuUnits,
    taskMemoryMB,
    targetUtilization:
      check("target-utilization", number("target-utilization", raw["target-utilization"]), (v) => v > 0 && v <= 1, "above 0 and at most 1") ??
      COMPARE_DEFAULTS.targetUtilization,
    minTasks: check("min-tasks", number("min-tasks", raw["min-tasks"]), wholeAtLeast(1), "a whole number ≥ 1") ?? COMPARE_DEFAULTS.minTasks,
    taskRps: check("task-rps", number("task-rps", raw["task-rps"]), (v) => v > 0, "a positive number of requests/s"),
    durationMs: check("duration-ms", number("duration-ms", raw["duration-ms"]), (v) => v > 0, "a positive number of milliseconds"),
  };
}
