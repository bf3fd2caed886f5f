import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { MeasuredInvocation } from "./invocation-duration.js";

/** Where `npm run bench` leaves the duration the cost model uses by default. */
export const BENCH_RESULTS_PATH = "bench/results.json";

const resultsSchema = z.object({
  finishedAt: z.string(),
  costDuration: z.object({ ms: z.number().positive(), description: z.string() }),
});

export interface MeasuredDuration {
  ms: number;
  /** What was measured, where and when, for the printout. */
  description: string;
}

/** The part of the last benchmark's results that `schema` describes, or undefined when there are none it accepts. */
export async function readBenchResults<T>(schema: z.ZodType<T>, path: string = BENCH_RESULTS_PATH): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : undefined;
}

/** The warm duration the last benchmark measured, or undefined when there are no (usable) results. */
export async function readMeasuredDuration(path: string = BENCH_RESULTS_PATH): Promise<MeasuredDuration | undefined> {
  const results = await readBenchResults(resultsSchema, path);
  if (!results) return undefined;
  const { costDuration, finishedAt } = results;
  return { ms: costDuration.ms, description: `${costDuration.description}, ${path} of ${finishedAt}` };
}

const batchResultsSchema = z.object({
  finishedAt: z.string(),
  costBatchDurations: z.object({
    description: z.string(),
    points: z.array(z.object({ batchSize: z.number().int().positive(), ms: z.number().positive() })).min(1),
  }),
});

export interface MeasuredBatchDurations {
  /** Per-invocation durations by batch size. */
  points: MeasuredInvocation[];
  description: string;
}

/** The per-invocation durations by batch size the last benchmark measured, or undefined when there are none. */
export async function readMeasuredBatchDurations(path: string = BENCH_RESULTS_PATH): Promise<MeasuredBatchDurations | undefined> {
  const results = await readBenchResults(batchResultsSchema, path);
  if (!results) return undefined;
  const { costBatchDurations, finishedAt } = results;
  return { points: costBatchDurations.points, description: `${costBatchDurations.description}, ${path} of ${finishedAt}` };
}
