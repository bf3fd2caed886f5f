import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { median } from "./stats.js";

const execFileAsync = promisify(execFile);
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/**
 * Runs in a fresh process: loads the native modules the way the handler does (the bundle `require`s them, the
 * source imports them), wraps InferenceSession.create and the session's first run (the same module instance the
 * handler gets, through Node's module cache) to time them, then imports the handler module, whose top-level await
 * does the whole initialisation.
 */
const probe = (handlerUrl: string, loadNative: "require" | "import") => `
const t0 = performance.now();
${
  loadNative === "require"
    ? `const { createRequire } = await import("node:module");
const require = createRequire(${JSON.stringify(handlerUrl)});
const ort = require("onnxruntime-node");
require("sharp");`
    : `const ort = await import("onnxruntime-node");
await import("sharp");`
}
const tNative = performance.now();
const marks = {};
const Session = ort.InferenceSession;
const create = Session.create.bind(Session);
Session.create = async (...args) => {
  marks.createStart ??= performance.now();
  const session = await create(...args);
  marks.createEnd ??= performance.now();
  const run = session.run.bind(session);
  session.run = async (...runArgs) => {
    marks.firstRunStart ??= performance.now();
    const result = await run(...runArgs);
    marks.firstRunEnd ??= performance.now();
    return result;
  };
  return session;
};
const module = await import(${JSON.stringify(handlerUrl)});
const tReady = performance.now();
if (typeof module.handler !== "function") throw new Error("no handler export");
process.stdout.write("\\nCOLDSTART " + JSON.stringify({ t0, tNative, tReady, marks, rssMB: process.memoryUsage().rss / 1048576 }) + "\\n");
`;

export interface ColdStartRun {
  /** Node's own start until the first line of user code. */
  nodeBootstrapMs: number;
  /** onnxruntime-node + sharp native modules, then the handler's module code (parse, evaluate) outside its init. */
  moduleImportMs: number;
  /** Config, manifest, model file read and sha256: the handler's init before the session. */
  beforeSessionMs: number;
  sessionCreateMs: number;
  /** From the session's creation to the end of init: the warm-up image (decode, first run) and checks. */
  warmupMs: number;
  /** The first session.run alone (part of warm-up). */
  firstRunMs: number;
  /** Process start → handler exported and ready. */
  totalMs: number;
  rssAfterInitMB: number;
}

export interface ColdStartResult {
  mode: "source" | "bundle";
  where: string;
  runs: ColdStartRun[];
  median: ColdStartRun;
  note?: string;
}

function initMsFrom(stdout: string): number {
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const entry = JSON.parse(line) as { message?: string; initMs?: number };
      if (entry.message === "initialised" && typeof entry.initMs === "number") return entry.initMs;
    } catch {
      // not a log line
    }
  }
  return Number.NaN;
}

async function once(mode: "source" | "bundle", cwd: string, handlerPath: string, threads: number): Promise<ColdStartRun> {
  const nodeArgs = mode === "source" ? ["--import", tsxLoader] : [];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_REGION: "us-east-1",
    AWS_LAMBDA_FUNCTION_NAME: "cold-start",
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    POWERTOOLS_LOG_LEVEL: "INFO",
    POWERTOOLS_METRICS_DISABLED: "true",
    ORT_INTRA_OP_THREADS: String(threads),
    ...(mode === "bundle" ? { LAMBDA_TASK_ROOT: cwd } : {}),
  };
  const { stdout } = await execFileAsync(process.execPath, [...nodeArgs, "--input-type=module", "-e", probe(pathToFileURL(handlerPath).href, mode === "bundle" ? "require" : "import")], {
    cwd,
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = stdout.split("\n").find((text) => text.startsWith("COLDSTART "));
  if (!line) throw new Error(`the cold-start probe printed no result:\n${stdout.slice(0, 2000)}`);
  const { t0, tNative, tReady, marks, rssMB } = JSON.parse(line.slice("COLDSTART ".length)) as {
    t0: number;
    tNative: number;
    tReady: number;
    rssMB: number;
    marks: { createStart?: number; createEnd?: number; firstRunStart?: number; firstRunEnd?: number };
  };
  const initMs = initMsFrom(stdout);
  const initStart = tReady - initMs;
  const createStart = marks.createStart ?? Number.NaN;
  const createEnd = marks.createEnd ?? Number.NaN;
  return {
    nodeBootstrapMs: t0,
    moduleImportMs: tNative - t0 + (initStart - tNative),
    beforeSessionMs: createStart - initStart,
    sessionCreateMs: createEnd - createStart,
    warmupMs: tReady - createEnd,
    firstRunMs: (marks.firstRunEnd ?? Number.NaN) - (marks.firstRunStart ?? Number.NaN),
    totalMs: tReady,
    rssAfterInitMB: rssMB,
  };
}

function medianRun(runs: ColdStartRun[]): ColdStartRun {
  const keys = Object.keys(runs[0]!) as (keyof ColdStartRun)[];
  return Object.fromEntries(keys.map((key) => [key, Math.round(median(runs.map((run) => run[key])) * 10) / 10])) as unknown as ColdStartRun;
}

/** Fresh processes, one after another: process start → handler ready, from source (tsx) or from build/lambda. */
export async function measureColdStart(mode: "source" | "bundle", repoRoot: string, runs: number, threads: number): Promise<ColdStartResult> {
  const cwd = mode === "bundle" ? join(repoRoot, "build", "lambda") : repoRoot;
  const handlerPath = mode === "bundle" ? join(cwd, "index.mjs") : join(repoRoot, "handler", "index.ts");
  await stat(handlerPath);
  const results: ColdStartRun[] = [];
  for (let i = 0; i < runs; i++) results.push(await once(mode, cwd, handlerPath, threads));
  const result: ColdStartResult = { mode, where: handlerPath, runs: results, median: medianRun(results) };
  if (results.some((run) => !Number.isFinite(run.sessionCreateMs))) {
    result.note = "InferenceSession.create was not seen by the probe: the session/warm-up split is not available";
  }
  return result;
}
