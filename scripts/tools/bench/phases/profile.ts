import { writeFile } from "node:fs/promises";
import { readFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { callHandler, type FunctionUrlHandler } from "../handler-call.js";
import type { PhaseContext } from "../phase-protocol.js";

export interface ProfileLoopResult {
  image: string;
  iterations: number;
  loopMs: number;
  profilePath: string;
}

/**
 * The warm handler alone in a loop on the reference image, under the V8 CPU profiler (the same profiler as
 * `node --cpu-prof`, started after the handler's import and warm-up so module loading stays out of the profile).
 */
export async function run(context: PhaseContext): Promise<ProfileLoopResult> {
  const image = context.images[0]!;
  const bytes = await readFile(image.path);
  const { handler } = (await import("../../../../handler/index.js")) as unknown as { handler: FunctionUrlHandler };
  for (let i = 0; i < 5; i++) await callHandler(handler, bytes, image.contentType);

  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  const iterations = Math.max(40, context.rounds * 3);
  const start = performance.now();
  for (let i = 0; i < iterations; i++) await callHandler(handler, bytes, image.contentType);
  const loopMs = performance.now() - start;
  const { profile } = await session.post("Profiler.stop");
  session.disconnect();

  const profilePath = join(context.workDir, `handler-${Date.now()}.cpuprofile`);
  await writeFile(profilePath, JSON.stringify(profile));
  return { image: image.id, iterations, loopMs, profilePath };
}
