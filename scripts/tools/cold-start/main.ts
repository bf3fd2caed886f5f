import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { parseArgs } from "node:util";

const run = promisify(execFile);

const usage = `npm run cold-start -- [--runs 5] [--task-root build/lambda] [--threads N] [--node-arg FLAG]...
Measures, in fresh Node processes started in the task root (run npm run build first), process start → handler ready:
Node bootstrap, native modules (onnxruntime-node, sharp), the bundle's own code, and the handler's initialisation
(manifest, sha256, ONNX Runtime session, warm-up). Prints each run and the median of each phase.`;

/**
 * Runs inside the task root as the Lambda runtime would, plus timestamps. The native modules are required first,
 * from the task root as the bundle requires them, so the bundle reuses them from the require cache: that separates
 * their cost from the bundle's.
 */
const probeScript = `
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
const t0 = performance.now();
const taskRoot = process.cwd();
const require = createRequire(taskRoot + "/index.mjs");
const ort = require("onnxruntime-node");
const t1 = performance.now();
require("sharp");
const t2 = performance.now();
const { handler } = await import(taskRoot + "/index.mjs");
const t3 = performance.now();
const cpu = process.cpuUsage();
if (typeof handler !== "function") throw new Error("index.mjs exports no handler function");
// Reference only: one more session for the same model with the same options, outside the handler.
const manifest = JSON.parse(readFileSync(taskRoot + "/model/model.json", "utf8"));
const threads = Number(process.env.ORT_INTRA_OP_THREADS) || availableParallelism();
const t4 = performance.now();
const session = await ort.InferenceSession.create(readFileSync(taskRoot + "/model/" + manifest.file),
  { graphOptimizationLevel: "all", intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: "sequential" });
const t5 = performance.now();
await session.release();
process.stdout.write("\\nCOLDSTART " + JSON.stringify({
  bootstrapMs: t0, onnxruntimeMs: t1 - t0, sharpMs: t2 - t1, bundleImportMs: t3 - t2, readyMs: t3,
  readyCpuMs: (cpu.user + cpu.system) / 1000, referenceSessionMs: t5 - t4,
}) + "\\n");
`;

interface ProbeResult {
  bootstrapMs: number;
  onnxruntimeMs: number;
  sharpMs: number;
  bundleImportMs: number;
  readyMs: number;
  readyCpuMs: number;
  referenceSessionMs: number;
}

interface RunPhases {
  /** Node's own start until the first line of user code (performance.now() is measured from process start). */
  node: number;
  onnxruntime: number;
  sharp: number;
  /** Parsing and evaluating index.mjs, outside the handler's timed initialisation. */
  bundleCode: number;
  /** The handler's `initMs` (config, manifest, sha256, session creation, warm-up), from its "initialised" log. */
  handlerInit: number;
  /** Process start → `handler` exported and ready. */
  total: number;
  /** CPU time (user + system, all threads) the process used until ready; less sensitive to a busy machine. */
  cpu: number;
  /** Not part of the total: a second session for the same model, created outside the handler. */
  referenceSession: number;
  /** Further numeric `...Ms` fields the handler logs with "initialised", if any (e.g. sessionMs, warmupMs). */
  handlerPhases: Record<string, number>;
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

async function measureOnce(taskRoot: string, threads: string | undefined, nodeArgs: string[]): Promise<RunPhases> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LAMBDA_TASK_ROOT: taskRoot,
    AWS_REGION: "us-east-1",
    AWS_LAMBDA_FUNCTION_NAME: "cold-start",
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    POWERTOOLS_LOG_LEVEL: "INFO",
    POWERTOOLS_METRICS_DISABLED: "true",
    ...(threads ? { ORT_INTRA_OP_THREADS: threads } : {}),
  };
  const { stdout } = await run(process.execPath, [...nodeArgs, "--input-type=module", "-e", probeScript], {
    cwd: taskRoot,
    env,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stderr?: string; message: string }) => {
    throw new Error(`the probe process failed:\n${error.stderr || error.message}`);
  });
  const line = stdout.split("\n").find((text) => text.startsWith("COLDSTART "));
  if (!line) throw new Error(`the probe printed no result:\n${stdout}`);
  const probe = JSON.parse(line.slice("COLDSTART ".length)) as ProbeResult;

  const log = initialisedLog(stdout);
  const initMs = typeof log?.initMs === "number" ? log.initMs : Number.NaN;
  const handlerPhases: Record<string, number> = {};
  for (const [key, value] of Object.entries(log ?? {})) {
    if (key !== "initMs" && key.endsWith("Ms") && typeof value === "number") handlerPhases[key] = value;
  }
  return {
    node: probe.bootstrapMs,
    onnxruntime: probe.onnxruntimeMs,
    sharp: probe.sharpMs,
    bundleCode: probe.bundleImportMs - initMs,
    handlerInit: initMs,
    total: probe.readyMs,
    cpu: probe.readyCpuMs,
    referenceSession: probe.referenceSessionMs,
    handlerPhases,
  };
}

const median = (values: number[]): number => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const phaseLabels: [keyof Omit<RunPhases, "handlerPhases">, string][] = [
  ["node", "Node bootstrap"],
  ["onnxruntime", "require onnxruntime-node"],
  ["sharp", "require sharp"],
  ["bundleCode", "index.mjs code (load + evaluate)"],
  ["handlerInit", "handler init (manifest, session, warm-up)"],
  ["total", "process start → handler ready"],
  ["cpu", "CPU time used until ready (all threads)"],
  ["referenceSession", "(reference) InferenceSession.create alone"],
];

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "5" },
    "task-root": { type: "string", default: "build/lambda" },
    threads: { type: "string" },
    "node-arg": { type: "string", multiple: true, default: [] },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

const taskRoot = resolve(values["task-root"]);
const runs = Number(values.runs);
if (!existsSync(resolve(taskRoot, "index.mjs"))) {
  console.error(`${taskRoot}/index.mjs not found: run npm run build first`);
  process.exit(1);
}
if (!Number.isInteger(runs) || runs < 1) {
  console.error("--runs must be a positive integer");
  process.exit(1);
}

const results: RunPhases[] = [];
for (let i = 0; i < runs; i++) results.push(await measureOnce(taskRoot, values.threads, values["node-arg"]));

const format = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : "n/a").padStart(8);
const nodeArgs = values["node-arg"].length > 0 ? `, node ${values["node-arg"].join(" ")}` : "";
console.log(`cold start from ${taskRoot} (${runs} fresh processes, Node ${process.version}${nodeArgs}, files in page cache)`);
console.log(`${"phase".padEnd(44)}${results.map((_, i) => `run ${i + 1}`.padStart(8)).join("")}${"median".padStart(9)}`);
for (const [key, label] of phaseLabels) {
  const row = results.map((r) => r[key]);
  console.log(`${label.padEnd(44)}${row.map(format).join("")} ${format(median(row))}`);
}
const extraPhases = [...new Set(results.flatMap((r) => Object.keys(r.handlerPhases)))];
for (const phase of extraPhases) {
  const row = results.map((r) => r.handlerPhases[phase] ?? Number.NaN);
  console.log(`${`  handler ${phase}`.padEnd(44)}${row.map(format).join("")} ${format(median(row))}`);
}
if (results.some((r) => !Number.isFinite(r.handlerInit))) {
  console.log('note: no "initialised" log with initMs was found; handler init is included in nothing above.');
}
