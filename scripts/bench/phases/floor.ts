import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadManifest } from "../../../handler/manifest.js";
import { createBareSession, prefilledInput, timeRun } from "../bare-session.js";
import type { PhaseContext } from "../phase-protocol.js";
import { type Summary, summarize } from "../stats.js";

export interface FloorResult {
  /** session.run on a pre-filled single-image tensor, by intra-op thread count. */
  inferenceByThreads: Record<string, Summary>;
}

/** Bare ONNX Runtime at 1 and 2 intra-op threads, alternating run by run. */
export async function run(context: PhaseContext): Promise<FloorResult> {
  const manifest = await loadManifest(context.modelDir);
  const { input } = manifest;
  const modelBytes = await readFile(join(context.modelDir, manifest.file));
  const tensor = prefilledInput(input.layout, input.width, input.height);
  const threadCounts = [1, 2];
  const sessions = await Promise.all(threadCounts.map((threads) => createBareSession(modelBytes, threads)));
  for (const session of sessions) for (let i = 0; i < 5; i++) await timeRun(session, input.name, tensor);
  const samples = threadCounts.map(() => [] as number[]);
  const runs = Math.max(20, context.rounds * 3);
  for (let i = 0; i < runs; i++) {
    for (const [k, session] of sessions.entries()) samples[k]!.push(await timeRun(session, input.name, tensor));
  }
  for (const session of sessions) await session.release();
  return { inferenceByThreads: Object.fromEntries(threadCounts.map((threads, k) => [String(threads), summarize(samples[k]!)])) };
}
