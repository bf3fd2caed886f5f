import { z } from "zod";
import { BENCH_RESULTS_PATH, readBenchResults } from "./measured-duration.js";

/**
 * Used when neither --task-rps nor a bench result is at hand: requests/s per vCPU of the JPEG 640×480 through
 * `npm start`'s server, rounded down from the 2026-12-02 bench (67.8 requests/s on 2 vCPUs, autocannon sharing them).
 */
export const DEFAULT_RPS_PER_VCPU = 30;

const pointSchema = z.object({ vcpus: z.number().positive(), requestsPerSecond: z.number().positive(), p99Ms: z.number().nonnegative() });
export type ThroughputPoint = z.infer<typeof pointSchema>;

const resultsSchema = z.object({
  finishedAt: z.string(),
  machine: z.object({ cpus: z.number().int().positive() }).optional(),
  costFargateThroughput: z.object({ description: z.string(), points: z.array(pointSchema).min(1) }).optional(),
  server: z.object({ runs: z.array(z.object({ requestsPerSecond: z.number().positive() })).min(1) }).optional(),
});

export interface MeasuredThroughput {
  /** The server entry's measured points (bench key costFargateThroughput). */
  points?: { points: ThroughputPoint[]; description: string };
  /** `npm start`'s best requests/s per core (bench key server), when there are no points. */
  serverPerVcpu?: { rps: number; description: string };
}

/** What the last bench measured that says how many requests/s a task serves; empty when nothing usable. */
export async function readMeasuredThroughput(path: string = BENCH_RESULTS_PATH): Promise<MeasuredThroughput> {
  const results = await readBenchResults(resultsSchema, path);
  if (!results) return {};
  const { finishedAt, machine, costFargateThroughput, server } = results;
  const measured: MeasuredThroughput = {};
  if (costFargateThroughput) {
    measured.points = { points: costFargateThroughput.points, description: `${costFargateThroughput.description}, ${path} of ${finishedAt}` };
  }
  if (server && machine) {
    const best = Math.max(...server.runs.map((run) => run.requestsPerSecond));
    measured.serverPerVcpu = {
      rps: best / machine.cpus,
      description: `npm start's server: ${best} requests/s on ${machine.cpus} vCPUs (load generator on the same cores), ${path} of ${finishedAt}`,
    };
  }
  return measured;
}

export interface TaskThroughput {
  rps: number;
  source: string;
}

const round = (value: number) => Number(value.toFixed(2));

/**
 * Requests/s of one task at 100% CPU: --task-rps; else the server entry's point at the task's vCPUs (or the nearest
 * point's rate per vCPU × the task's vCPUs); else npm start's rate per vCPU × the task's vCPUs; else the default.
 */
export function taskThroughput(vcpus: number, measured: MeasuredThroughput, given?: number): TaskThroughput {
  if (given !== undefined) return { rps: given, source: "given with --task-rps" };
  if (measured.points) {
    const { points, description } = measured.points;
    const exact = points.find((point) => point.vcpus === vcpus);
    if (exact) return { rps: exact.requestsPerSecond, source: `measured at ${vcpus} vCPU (p99 ${exact.p99Ms} ms): ${description}` };
    const nearest = points.reduce((best, point) => (Math.abs(point.vcpus - vcpus) < Math.abs(best.vcpus - vcpus) ? point : best));
    const rps = (nearest.requestsPerSecond / nearest.vcpus) * vcpus;
    return { rps, source: `${round(nearest.requestsPerSecond)} requests/s measured at ${nearest.vcpus} vCPU, scaled to ${vcpus}: ${description}` };
  }
  if (measured.serverPerVcpu) {
    const { rps, description } = measured.serverPerVcpu;
    return { rps: rps * vcpus, source: `${round(rps)} requests/s per vCPU × ${vcpus}: ${description}` };
  }
  return {
    rps: DEFAULT_RPS_PER_VCPU * vcpus,
    source: `${DEFAULT_RPS_PER_VCPU} requests/s per vCPU × ${vcpus} (documented default, see fargate-throughput.ts; run \`npm run bench\` to measure)`,
  };
}
