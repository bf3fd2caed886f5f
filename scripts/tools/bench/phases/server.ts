import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { startLocalFunctionUrl } from "../../../shared/lambda-emulator/server.js";
import { type LoadRun, measureLoad } from "../load-run.js";
import type { PhaseContext } from "../phase-protocol.js";
import { childPids, processMemoryMB } from "../process-memory.js";

export interface ServerRun extends LoadRun {
  concurrency: number;
  /** ORT intra-op threads per execution environment (the server splits the cores between environments). */
  threadsPerEnvironment: number;
  /** Per execution environment, sampled every 250 ms under load. */
  steadyRssMB: number;
  peakRssMB: number;
  /** Highest "Max Memory Used" of the server's REPORT lines. */
  maxMemoryUsedMB: number;
}

export interface ServerResult {
  image: string;
  runs: ServerRun[];
}

const handlerModule = fileURLToPath(new URL("../../../../handler/index.ts", import.meta.url));

async function measure(concurrency: number, body: Buffer, contentType: string, durationS: number, cores: number): Promise<ServerRun> {
  let maxMemoryUsedMB = 0;
  const env = { ...process.env };
  delete env.ORT_INTRA_OP_THREADS;
  const server = await startLocalFunctionUrl({
    handlerModule,
    port: 0,
    concurrency,
    functionOutput: "ignore",
    env,
    log: (line) => {
      const used = /Max Memory Used: (\d+) MB/.exec(line);
      if (used) maxMemoryUsedMB = Math.max(maxMemoryUsedMB, Number(used[1]));
    },
  });
  // The execution environments are the children running the serve runtime (tsx's esbuild service is a child too).
  const environments = await childPids("lambda-emulator/runtime.ts");
  if (environments.length !== concurrency) throw new Error(`found ${environments.length} execution environment processes, expected ${concurrency}`);
  const rss: number[] = [];
  let peak = 0;
  const sampler = setInterval(() => {
    for (const pid of environments) {
      void processMemoryMB(pid).then((memory) => {
        if (!memory) return;
        rss.push(memory.rssMB);
        peak = Math.max(peak, memory.peakRssMB);
      });
    }
  }, 250);
  try {
    const load = await measureLoad({ url: server.url, body, contentType, connections: concurrency, durationS });
    const sorted = [...rss].sort((a, b) => a - b);
    return {
      concurrency,
      threadsPerEnvironment: Math.max(1, Math.floor(cores / concurrency)),
      ...load,
      steadyRssMB: Math.round(sorted[Math.floor(sorted.length / 2)] ?? Number.NaN),
      peakRssMB: Math.round(peak),
      maxMemoryUsedMB,
    };
  } finally {
    clearInterval(sampler);
    await server.close();
  }
}

/** `npm start`'s server (real sockets on 127.0.0.1) under autocannon at 1 and 2 connections = environments. */
export async function run(context: PhaseContext): Promise<ServerResult> {
  const image = context.images[0]!;
  const body = await readFile(image.path);
  const durationS = Number(process.env.BENCH_SERVER_SECONDS ?? 10);
  const runs: ServerRun[] = [];
  for (const concurrency of [1, 2]) {
    process.stderr.write(`  server: concurrency ${concurrency}, ${durationS} s\n`);
    runs.push(await measure(concurrency, body, image.contentType, durationS, context.threads));
  }
  return { image: image.id, runs };
}
