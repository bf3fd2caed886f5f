import { execFile } from "node:child_process";
import { stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { median } from "./stats.js";
import { tsxLoader } from "./tsx-loader.js";

const execFileAsync = promisify(execFile);

export type ColdStartMode = "source" | "bundle";

export interface ColdStartOptions {
  /** "bundle": `index.mjs` of a built task root, run there as the Lambda runtime runs it; "source": `handler/index.ts` through tsx. */
  readonly mode: ColdStartMode;
  /** The task root (bundle mode, e.g. build/lambda) or the repository root (source mode). */
  readonly directory: string;
  /** Fresh processes, one after another. */
  readonly runs: number;
  /** ORT_INTRA_OP_THREADS for the handler. @default unset: the handler's own default */
  readonly threads?: number | undefined;
  /** Node flags for every probe process (e.g. --jitless). @default [] */
  readonly nodeArgs?: readonly string[];
  /** Also time one more InferenceSession.create, with the handler's own arguments, after init (not in the total). @default false */
  readonly referenceSession?: boolean;
}

interface ProbeConfig {
  handlerUrl: string;
  loadNative: "require" | "import";
  referenceSession: boolean;
}

/**
 * Runs in a fresh process: loads the native modules one at a time the way the handler does (the bundle `require`s
 * them from its task root, the source imports them), so the handler reuses them from the module cache and their cost
 * is separate from its own; wraps InferenceSession.create and the session's first run (the same class the handler
 * gets) to time them, then imports the handler module, whose top-level await does the whole initialisation.
 */
const probeScript = (config: ProbeConfig) => `
const t0 = performance.now();
const config = ${JSON.stringify(config)};
const { createRequire } = await import("node:module");
const require = createRequire(config.handlerUrl);
const load = (name) => (config.loadNative === "require" ? require(name) : import(name));
const ort = await load("onnxruntime-node");
const tOnnxruntime = performance.now();
await load("sharp");
const tSharp = performance.now();
const marks = {};
let handlerCreateArgs;
const Session = ort.InferenceSession;
const create = Session.create.bind(Session);
Session.create = async (...args) => {
  handlerCreateArgs ??= args;
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
const module = await import(config.handlerUrl);
const tReady = performance.now();
const cpu = process.cpuUsage();
const rssMB = process.memoryUsage().rss / 1048576;
if (typeof module.handler !== "function") throw new Error("the handler module exports no handler function");
let referenceSessionMs = null;
if (config.referenceSession && handlerCreateArgs) {
  const start = performance.now();
  const session = await create(...handlerCreateArgs);
  referenceSessionMs = performance.now() - start;
  await session.release();
}
process.stdout.write("\\nCOLDSTART " + JSON.stringify({
  t0, tOnnxruntime, tSharp, tReady, cpuMs: (cpu.user + cpu.system) / 1000, rssMB, marks, referenceSessionMs,
}) + "\\n");
`;

interface ProbeOutput {
  t0: number;
  tOnnxruntime: number;
  tSharp: number;
  tReady: number;
  cpuMs: number;
  rssMB: number;
  marks: { createStart?: number; createEnd?: number; firstRunStart?: number; firstRunEnd?: number };
  referenceSessionMs: number | null;
}

/** One process's phases, in ms from the process's start (performance.now()'s origin); NaN where the probe saw nothing. */
export interface ColdStartPhases {
  /** Node's own start until the first line of user code (source: + the tsx loader). */
  nodeBootstrapMs: number;
  /** Loading onnxruntime-node (native binding included). */
  onnxruntimeMs: number;
  /** Loading sharp (libvips included). */
  sharpMs: number;
  /** Parsing and evaluating the handler's module code (index.mjs or the source), outside its timed init. */
  handlerCodeMs: number;
  /** onnxruntime-node + sharp + the handler's module code: everything before the handler's init. */
  moduleImportMs: number;
  /** The handler's own `initMs` (config, manifest, sha256, session, warm-up), from its "initialised" log. */
  initMs: number;
  /** Config, manifest, model file read and sha256: the handler's init before the session. */
  beforeSessionMs: number;
  sessionCreateMs: number;
  /** From the session's creation to the end of init: the warm-up image (decode, first run) and checks. */
  warmupMs: number;
  /** The first session.run alone (part of warm-up). */
  firstRunMs: number;
  /** Process start → handler exported and ready. */
  totalMs: number;
  /** CPU time (user + system, all threads) until ready: less sensitive to a busy machine than the wall clock. */
  cpuMs: number;
  rssAfterInitMB: number;
  /** Not part of the total: one more session created with the handler's arguments (NaN unless asked for). */
  referenceSessionMs: number;
}

export interface ColdStartRun extends ColdStartPhases {
  /** Further numeric `...Ms` fields the handler logs with "initialised", if any. */
  handlerPhases: Record<string, number>;
}

export interface ColdStartResult {
  mode: ColdStartMode;
  where: string;
  runs: ColdStartRun[];
  /** Each phase's median over the runs (runs where the phase is NaN left out), rounded to 0.1. */
  median: ColdStartRun;
  note?: string;
}

function initialisedLog(stdout: string): Record<string, unknown> | undefined {
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      if (entry.message === "initialised") return entry;
    } catch {
      // not a log line
    }
  }
  return undefined;
}

/** The phases of one probe process from its output: the probe's timestamps and the handler's "initialised" log. */
export function phasesFromProbe(stdout: string): ColdStartRun {
  const line = stdout.split("\n").find((text) => text.startsWith("COLDSTART "));
  if (!line) throw new Error(`the cold-start probe printed no result:\n${stdout.slice(0, 2000)}`);
  const probe = JSON.parse(line.slice("COLDSTART ".length)) as ProbeOutput;
  const log = initialisedLog(stdout);
  const initMs = typeof log?.initMs === "number" ? log.initMs : Number.NaN;
  const handlerPhases: Record<string, number> = {};
  for (const [key, value] of Object.entries(log ?? {})) {
    if (key !== "initMs" && key.endsWith("Ms") && typeof value === "number") handlerPhases[key] = value;
  }
  const initStart = probe.tReady - initMs;
  const createStart = probe.marks.createStart ?? Number.NaN;
  const createEnd = probe.marks.createEnd ?? Number.NaN;
  return {
    nodeBootstrapMs: probe.t0,
    onnxruntimeMs: probe.tOnnxruntime - probe.t0,
    sharpMs: probe.tSharp - probe.tOnnxruntime,
    handlerCodeMs: initStart - probe.tSharp,
    moduleImportMs: initStart - probe.t0,
    initMs,
    beforeSessionMs: createStart - initStart,
    sessionCreateMs: createEnd - createStart,
    warmupMs: probe.tReady - createEnd,
    firstRunMs: (probe.marks.firstRunEnd ?? Number.NaN) - (probe.marks.firstRunStart ?? Number.NaN),
    totalMs: probe.tReady,
    cpuMs: probe.cpuMs,
    rssAfterInitMB: probe.rssMB,
    referenceSessionMs: probe.referenceSessionMs ?? Number.NaN,
    handlerPhases,
  };
}

/** Each phase's median over `runs` (NaN entries left out), rounded to 0.1. */
export function medianRun(runs: readonly ColdStartRun[]): ColdStartRun {
  const of = (values: number[]) => Math.round(median(values) * 10) / 10;
  const { handlerPhases: _, ...first } = runs[0]!;
  const phases = Object.fromEntries(
    (Object.keys(first) as (keyof ColdStartPhases)[]).map((key) => [key, of(runs.map((run) => run[key]))]),
  ) as unknown as ColdStartPhases;
  const handlerPhaseNames = [...new Set(runs.flatMap((run) => Object.keys(run.handlerPhases)))];
  const handlerPhases = Object.fromEntries(handlerPhaseNames.map((name) => [name, of(runs.map((run) => run.handlerPhases[name] ?? Number.NaN))]));
  return { ...phases, handlerPhases };
}

async function once(options: ColdStartOptions, handlerPath: string): Promise<ColdStartRun> {
  const { mode, directory, threads, nodeArgs = [], referenceSession = false } = options;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_REGION: "us-east-1",
    AWS_LAMBDA_FUNCTION_NAME: "cold-start",
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    POWERTOOLS_LOG_LEVEL: "INFO",
    POWERTOOLS_METRICS_DISABLED: "true",
    ...(threads === undefined ? {} : { ORT_INTRA_OP_THREADS: String(threads) }),
    ...(mode === "bundle" ? { LAMBDA_TASK_ROOT: directory } : {}),
  };
  const config: ProbeConfig = { handlerUrl: pathToFileURL(handlerPath).href, loadNative: mode === "bundle" ? "require" : "import", referenceSession };
  const loader = mode === "source" ? ["--import", tsxLoader] : [];
  const { stdout } = await execFileAsync(process.execPath, [...nodeArgs, ...loader, "--input-type=module", "-e", probeScript(config)], {
    cwd: directory,
    env,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: Error & { stderr?: string }) => {
    throw new Error(`the cold-start probe process failed:\n${error.stderr || error.message}`, { cause: error });
  });
  return phasesFromProbe(stdout);
}

/** The handler module a mode starts: the bundle's index.mjs in the task root, or the source's handler/index.ts. */
export const handlerModuleOf = (mode: ColdStartMode, directory: string) =>
  mode === "bundle" ? join(directory, "index.mjs") : join(directory, "handler", "index.ts");

/** Fresh processes, one after another: process start → handler ready, by phase, from a built task root or from source. */
export async function measureColdStart(options: ColdStartOptions): Promise<ColdStartResult> {
  const handlerPath = handlerModuleOf(options.mode, options.directory);
  await stat(handlerPath);
  const runs: ColdStartRun[] = [];
  for (let i = 0; i < options.runs; i++) runs.push(await once(options, handlerPath));
  const result: ColdStartResult = { mode: options.mode, where: handlerPath, runs, median: medianRun(runs) };
  if (runs.some((run) => !Number.isFinite(run.sessionCreateMs))) {
    result.note = "InferenceSession.create was not seen by the probe: the session/warm-up split is not available";
  }
  return result;
}
