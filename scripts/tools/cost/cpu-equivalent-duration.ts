import type { MeasuredDuration } from "./measured-duration.js";

/** Lambda allots CPU in proportion to memory: one vCPU at 1,769 MB (AWS Lambda documentation). */
export const MB_PER_LAMBDA_VCPU = 1769;

/**
 * How long a request runs on a Lambda of `memoryMB` when it needs the CPU time the server entry's measured throughput
 * implies: a task of `taskVcpus` serving `taskRps` at full CPU spends 1000 × taskVcpus ÷ taskRps ms of one vCPU per
 * request; the function has memoryMB ÷ 1769 vCPUs. Both options are then priced from the same measured CPU cost,
 * where the bench's in-process latency (2 threads on 2 dedicated cores) would flatter a 1.2-vCPU function.
 */
export function cpuEquivalentDurationMs(taskVcpus: number, taskRps: number, memoryMB: number): number {
  return (1000 * taskVcpus) / taskRps / (memoryMB / MB_PER_LAMBDA_VCPU);
}

/**
 * The Lambda duration `--compare fargate` prices when none is given: the CPU-equivalent of the task's throughput when
 * it is longer than the bench's measured latency (which no function can beat), else that latency; with its source.
 */
export function comparisonDuration(measured: MeasuredDuration, taskVcpus: number, taskRps: number, memoryMB: number): { ms: number; source: string } {
  const cpuEquivalent = cpuEquivalentDurationMs(taskVcpus, taskRps, memoryMB);
  if (cpuEquivalent <= measured.ms) return { ms: measured.ms, source: `measured: ${measured.description}` };
  return {
    ms: Number(cpuEquivalent.toFixed(3)),
    source:
      `the CPU time of the task's throughput below, on ${(memoryMB / MB_PER_LAMBDA_VCPU).toFixed(2)} vCPU (${memoryMB} MB ÷ ${MB_PER_LAMBDA_VCPU}); ` +
      `above the bench's in-process ${measured.ms} ms on dedicated cores`,
  };
}
