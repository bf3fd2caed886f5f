import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchImage } from "../image-set.js";
import { type LoadRun, measureLoad } from "../load-run.js";

/** Which server ran: the production entry (build/lambda/server.mjs) or npm start's function-URL emulator. */
export type ServerTarget = "server.mjs" | "npm start";

export interface ServerEntryRun extends LoadRun {
  target: ServerTarget;
  /** CPUs the server's processes were pinned to (taskset), as a task's vCPUs. */
  vcpus: number;
  connections: number;
}

export interface ServerEntryResult {
  image: string;
  runs: ServerEntryRun[];
}

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const serveScript = join(repoRoot, "scripts/tools/serve/main.ts");

/** The first CPUs of this machine, as taskset's list: `0` for one, `0-1` for two. */
export function cpuList(vcpus: number): string {
  return vcpus === 1 ? "0" : `0-${vcpus - 1}`;
}

/** Resolves with the first match of `pattern` in the child's output, rejects with that output if it exits first. */
function announced(child: ChildProcess, pattern: RegExp): Promise<string> {
  let output = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (match) resolve(match[1]!);
      if (output.length > 1_000_000) output = output.slice(-100_000);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the server exited with ${code} before it listened: ${output.slice(-2000)}`)));
  });
}

interface StartedServer {
  url: string;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.once("exit", () => {
        clearTimeout(force);
        resolve();
      });
      child.kill("SIGTERM");
    });
}

/** The environment both servers get: the default split of cores into sessions, logs quiet, the task root's model. */
function serverEnv(modelDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MODEL_DIR: modelDir, POWERTOOLS_LOG_LEVEL: "WARN", POWERTOOLS_METRICS_DISABLED: "true" };
  delete env.ORT_INTRA_OP_THREADS;
  delete env.SERVER_WORKERS;
  return env;
}

async function startServerEntry(taskRoot: string, modelDir: string, vcpus: number): Promise<StartedServer> {
  const child = spawn("taskset", ["-c", cpuList(vcpus), process.execPath, join(taskRoot, "server.mjs")], {
    env: { ...serverEnv(modelDir), PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const port = await announced(child, /"message":"listening".*?"port":(\d+)/);
  return { url: `http://127.0.0.1:${port}`, stop: stopper(child) };
}

async function startEmulator(modelDir: string, vcpus: number): Promise<StartedServer> {
  // One execution environment per vCPU, each with its share of the cores: how Lambda scales out.
  const args = ["-c", cpuList(vcpus), process.execPath, "--import", "tsx", serveScript, "--port", "0", "--concurrency", String(vcpus)];
  const child = spawn("taskset", args, { cwd: repoRoot, env: serverEnv(modelDir), stdio: ["ignore", "pipe", "pipe"] });
  const url = await announced(child, /Local function URL: (http:\/\/\S+)/);
  return { url: url.replace(/\/$/, ""), stop: stopper(child) };
}

export interface ServerEntryOptions {
  /** The built task root (npm run build): server.mjs and model/. */
  taskRoot: string;
  image: BenchImage;
  durationS: number;
  /** Task sizes to measure, in vCPUs; those over this machine's CPUs are skipped. Default 1 and 2. */
  vcpus?: number[];
  log?: (line: string) => void;
}

/**
 * The production HTTP entry against npm start's emulator on the same image, each pinned to the same CPUs with
 * taskset (1 and 2 "vCPUs"), autocannon with two connections per vCPU so neither server waits for the client.
 */
export async function measureServerEntry(options: ServerEntryOptions): Promise<ServerEntryResult> {
  const body = await readFile(options.image.path);
  const modelDir = join(options.taskRoot, "model");
  const runs: ServerEntryRun[] = [];
  for (const vcpus of (options.vcpus ?? [1, 2]).filter((count) => count <= availableParallelism())) {
    for (const target of ["server.mjs", "npm start"] as const) {
      const connections = 2 * vcpus;
      options.log?.(`  server-entry: ${target} on ${vcpus} vCPU, ${connections} connections, ${options.durationS} s`);
      const server = target === "server.mjs" ? await startServerEntry(options.taskRoot, modelDir, vcpus) : await startEmulator(modelDir, vcpus);
      try {
        const load = await measureLoad({ url: server.url, body, contentType: options.image.contentType, connections, durationS: options.durationS });
        runs.push({ target, vcpus, connections, ...load });
      } finally {
        await server.stop();
      }
    }
  }
  return { image: options.image.id, runs };
}
