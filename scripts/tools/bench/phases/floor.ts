import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadManifest } from "../../../../handler/manifest.js";
import { createBareSession, prefilledInput, timeRun } from "../bare-session.js";
import type { PhaseContext } from "../phase-protocol.js";
import { type Summary, summarize } from "../../../shared/stats.js";

export interface FloorResult {
  /** session.run on a pre-filled single-image tensor, by intra-op thread count. */
  inferenceByThreads: Record<string, Summary>;
}

/** Bare ONNX Runtime at 1 and 2 intra-op threads, in alternating blocks. */
export async function run(context: PhaseContext): Promise<FloorResult> {
  const manifest = await loadManifest(context.modelDir);
  const { input } = manifest;
  const modelBytes = await readFile(join(context.modelDir, manifest.file));
  const tensor = prefilledInput(input.layout, input.width, input.height);
  const threadCounts = [1, 2];
  const sessions = await Promise.all(threadCounts.map((threads) => createBareSession(modelBytes, threads)));
  for (const session of sessions) for (let i = 0; i < 5; i++) await timeRun(session, input.name, tensor);
  const samples = threadCounts.map(() => [] as number[]);
  const blocks = Math.max(4, Math.ceil(context.rounds / 2));
  // Alternating blocks of runs (not single runs), with a pause before each block, so the other session's
  // spinning workers are asleep while a session is measured.
  for (let block = 0; block < blocks; block++) {
    for (const [k, session] of sessions.entries()) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      await timeRun(session, input.name, tensor);
      for (let i = 0; i < 5; i++) samples[k]!.push(await timeRun(session, input.name, tensor));
    }
  }
  for (const session of sessions) await session.release();
  return { inferenceByThreads: Object.fromEntries(threadCounts.map((threads, k) => [String(threads), summarize(samples[k]!)])) };
}
