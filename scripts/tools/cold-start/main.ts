import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type ColdStartPhases, handlerModuleOf, measureColdStart } from "../../shared/cold-start.js";

const usage = `npm run cold-start -- [--runs 5] [--task-root build/lambda] [--threads N] [--node-arg FLAG]...
Measures, in fresh Node processes started in the task root (run npm run build first), process start → handler ready:
Node bootstrap, native modules (onnxruntime-node, sharp), the bundle's own code, and the handler's initialisation
(manifest, sha256, ONNX Runtime session, warm-up). Prints each run and the median of each phase.`;

const phaseLabels: [keyof ColdStartPhases, string][] = [
  ["nodeBootstrapMs", "Node bootstrap"],
  ["onnxruntimeMs", "require onnxruntime-node"],
  ["sharpMs", "require sharp"],
  ["handlerCodeMs", "index.mjs code (load + evaluate)"],
  ["initMs", "handler init (manifest, session, warm-up)"],
  ["beforeSessionMs", "  of which config, manifest, read + sha256"],
  ["sessionCreateMs", "  of which InferenceSession.create"],
  ["warmupMs", "  of which warm-up (decode + first run)"],
  ["totalMs", "process start → handler ready"],
  ["cpuMs", "CPU time used until ready (all threads)"],
  ["referenceSessionMs", "(reference) InferenceSession.create alone"],
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
const threads = values.threads === undefined ? undefined : Number(values.threads);
if (!existsSync(handlerModuleOf("bundle", taskRoot))) {
  console.error(`${taskRoot}/index.mjs not found: run npm run build first`);
  process.exit(1);
}
if (!Number.isInteger(runs) || runs < 1) {
  console.error("--runs must be a positive integer");
  process.exit(1);
}
if (threads !== undefined && (!Number.isInteger(threads) || threads < 1)) {
  console.error("--threads must be a positive integer");
  process.exit(1);
}

const result = await measureColdStart({ mode: "bundle", directory: taskRoot, runs, threads, nodeArgs: values["node-arg"], referenceSession: true });

const format = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(0)} ms` : "n/a").padStart(8);
const nodeArgs = values["node-arg"].length > 0 ? `, node ${values["node-arg"].join(" ")}` : "";
console.log(`cold start from ${taskRoot} (${runs} fresh processes, Node ${process.version}${nodeArgs}, files in page cache)`);
console.log(`${"phase".padEnd(44)}${result.runs.map((_, i) => `run ${i + 1}`.padStart(8)).join("")}${"median".padStart(9)}`);
for (const [key, label] of phaseLabels) {
  console.log(`${label.padEnd(44)}${result.runs.map((run) => format(run[key])).join("")} ${format(result.median[key])}`);
}
for (const [phase, medianMs] of Object.entries(result.median.handlerPhases)) {
  const row = result.runs.map((run) => run.handlerPhases[phase] ?? Number.NaN);
  console.log(`${`  handler ${phase}`.padEnd(44)}${row.map(format).join("")} ${format(medianMs)}`);
}
if (result.runs.some((run) => !Number.isFinite(run.initMs))) {
  console.log('note: no "initialised" log with initMs was found; handler init is included in nothing above.');
}
if (result.note) console.log(`note: ${result.note}`);
