import type { Architecture } from "./pricing.js";

/**
 * AWS Fargate (Linux) and Application Load Balancer prices, us-east-1, as quoted in issue 17 and in the cost
 * helper's brief; taken on FARGATE_PRICES_AS_OF and not re-checked against AWS here (this machine has no network
 * beyond the npm registry). Savings plans, Spot, ephemeral storage above 20 GB and data transfer are not modelled.
 */
export const FARGATE_PRICES_AS_OF = "2026-12-02";

/** USD per vCPU-hour and per GB-hour of a running task. Billed per second, with a one-minute minimum per task. */
export const FARGATE_VCPU_HOUR: Record<Architecture, number> = { x86_64: 0.04048, arm64: 0.03238 };
export const FARGATE_GB_HOUR: Record<Architecture, number> = { x86_64: 0.004445, arm64: 0.00356 };
export const FARGATE_MINIMUM_BILLED_SECONDS = 60;

/** USD per hour (or partial hour) an Application Load Balancer exists. */
export const ALB_HOUR = 0.0225;
/** USD per Load Balancer Capacity Unit-hour; the hour's LCUs are its busiest dimension, fractions billed. */
export const ALB_LCU_HOUR = 0.008;

/** What one LCU covers per dimension (targets are IP addresses, as Fargate's are). */
export const LCU_NEW_CONNECTIONS_PER_SECOND = 25;
export const LCU_ACTIVE_CONNECTIONS_PER_MINUTE = 3000;
export const LCU_PROCESSED_GB_PER_HOUR = 1;
export const LCU_RULE_EVALUATIONS_PER_SECOND = 1000;
/** Rule evaluations are charged only beyond the first 10 rules; the service's listener has one (its default action). */
export const ALB_FREE_RULES = 10;
export const ALB_LISTENER_RULES = 1;

/** AWS counts a processed GB as 10^9 bytes (its LCU example: 2.22 Mbps for an hour ≈ 1 GB). */
export const BYTES_PER_GB = 1e9;

/** ECS task CPU units per vCPU. */
export const CPU_UNITS_PER_VCPU = 1024;

/** Fargate's task sizes: CPU units → the memory sizes (MB) allowed with it. */
export const FARGATE_TASK_SIZES: ReadonlyMap<number, readonly number[]> = new Map([
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16_384, 1024)],
  [4096, range(8192, 30_720, 1024)],
  [8192, range(16_384, 61_440, 4096)],
  [16_384, range(32_768, 122_880, 8192)],
]);

function range(from: number, to: number, step: number): number[] {
  return Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
}

/** Throws a RangeError naming the allowed sizes when the pair is not a Fargate task size. */
export function checkTaskSize(cpuUnits: number, memoryMB: number): void {
  const memories = FARGATE_TASK_SIZES.get(cpuUnits);
  if (!memories) {
    throw new RangeError(`task CPU must be one of ${[...FARGATE_TASK_SIZES.keys()].join(", ")} CPU units (1024 = 1 vCPU), got ${cpuUnits}`);
  }
  if (!memories.includes(memoryMB)) {
    const first = memories[0]!;
    const last = memories.at(-1)!;
    const step = memories.length > 1 ? memories[1]! - first : 0;
    throw new RangeError(
      `task memory for ${cpuUnits} CPU units must be ${memories.length <= 3 ? memories.join(", ") : `${first} to ${last} in steps of ${step}`} MB, got ${memoryMB}`,
    );
  }
}
