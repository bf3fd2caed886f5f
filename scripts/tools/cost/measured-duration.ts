import { readFile } from "node:fs/promises";
import { z } from "zod";

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

/** The warm duration the last benchmark measured, or undefined when there are no (usable) results. */
export async function readMeasuredDuration(path: string = BENCH_RESULTS_PATH): Promise<MeasuredDuration | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    return undefined;
  }
  const parsed = resultsSchema.safeParse(JSON.parse(text));
  if (!parsed.success) return undefined;
  const { costDuration, finishedAt } = parsed.data;
  return { ms: costDuration.ms, description: `${costDuration.description}, ${path} of ${finishedAt}` };
}
