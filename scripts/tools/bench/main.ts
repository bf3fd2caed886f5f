/**
 * npm run bench — measures the floor, our handler, the transformers.js peer, cold start and the local server on a
 * fixed generated image set; writes bench/results.json, bench/REPORT.md and bench/latency.svg. A benchmark, not a test.
 */
import { execFileSync } from "node:child_process";
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadManifest } from "../../../handler/manifest.js";
import { batchSizeCosts } from "./batch-costs.js";
import { latencySvg } from "./chart.js";
import { type ColdStartResult, measureColdStart } from "../../shared/cold-start.js";
import { summarizeCpuProfile } from "./cpu-profile.js";
import { ensureImageSet } from "./image-set.js";
import type { PhaseContext } from "./phase-protocol.js";
import type { BatchSizesResult } from "./phases/batch-sizes.js";
import type { ConventionsResult } from "./phases/conventions.js";
import type { FloorResult } from "./phases/floor.js";
import { type InProcessResult, measureInProcess } from "./phases/in-process.js";
import type { ProfileLoopResult } from "./phases/profile.js";
import type { ServerResult } from "./phases/server.js";
import { measureServerEntry, type ServerEntryResult } from "./phases/server-entry.js";
import { renderReport } from "./report.js";
import { type BenchResults, evaluateTargets } from "./results.js";
import { runPhase } from "./run-phase.js";
import { defaultLocalImageRef } from "../../shared/lambda-emulator/options.js";
import { type ContainerStartResult, measureContainerStart } from "./container-start.js";

const usage = `Usage: npm run bench -- [--rounds N] [--cold-runs N] [--server-seconds S] [--threads N] [--skip PHASE,...] [--out DIR] [--build] [--report-only] [--wait-quiet S]

Phases: floor, conventions (every resize convention vs the exact path's floor), in-process (handler + floor + transformers.js peer, interleaved), profile, cold-start (cold-start-bundle, cold-start-source, cold-start-container: podman run of the local image → ready), server,
server-entry (build/lambda/server.mjs against npm start, each pinned to 1 and 2 CPUs with taskset), batch-sizes (Distributed Map batches of 1, 8, 16 and 32 images through the handler from s3rver, priced as by npm run cost -- --batch-size N).
Writes DIR/results.json, DIR/REPORT.md and DIR/latency.svg (default DIR: bench). Needs model/ (npm run model:ensure)
and, for the bundle's cold start and server-entry, build/lambda (npm run build, or --build to run it first).
--report-only re-renders REPORT.md and latency.svg from an existing DIR/results.json without measuring.
--wait-quiet S waits up to S seconds for the 1-minute load average to fall below 0.5 before measuring.`;

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "20" },
    "cold-runs": { type: "string", default: "5" },
    "server-seconds": { type: "string", default: "10" },
    threads: { type: "string", default: "2" },
    skip: { type: "string", default: "" },
    out: { type: "string", default: "bench" },
    model: { type: "string", default: "model" },
    build: { type: "boolean", default: false },
    "report-only": { type: "boolean", default: false },
    "wait-quiet": { type: "string", default: "0" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}

const repoRoot = resolve(".");
const outDir = resolve(values.out);

async function writeOutputs(results: BenchResults): Promise<void> {
  await writeFile(join(outDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(outDir, "REPORT.md"), renderReport(results));
  if (results.inProcess) {
    const title = `Warm latency by phase, mean ms (${results.finishedAt.slice(0, 16)}Z, ${results.threads} threads)`;
    await writeFile(join(outDir, "latency.svg"), latencySvg(results.inProcess, title));
  }
}

if (values["report-only"]) {
  const stored = JSON.parse(await readFile(join(outDir, "results.json"), "utf8")) as BenchResults;
  const { targets: _old, ...measured } = stored;
  await writeOutputs({ ...measured, targets: evaluateTargets(measured) });
  process.exit(0);
}
const modelDir = resolve(values.model);
const skip = new Set(values.skip.split(",").filter(Boolean));
const threads = Number(values.threads);
const rounds = Number(values.rounds);
const coldRuns = Number(values["cold-runs"]);
const log = (text: string) => process.stderr.write(`${text}\n`);

const waitQuietS = Number(values["wait-quiet"]);
if (waitQuietS > 0) {
  const deadline = performance.now() + waitQuietS * 1000;
  while (loadavg()[0]! >= 0.5 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5000));
  log(`load average ${loadavg()[0]!.toFixed(2)} after waiting for a quiet machine`);
}

const startedAt = new Date();
const started = performance.now();
const workDir = join(tmpdir(), "lambda-onnx-classifier-bench");
await mkdir(workDir, { recursive: true });
await mkdir(outDir, { recursive: true });

const manifest = await loadManifest(modelDir);
log(`bench: ${manifest.name} ${manifest.version}, ${threads} threads, ${rounds} rounds; load average ${loadavg().map((v) => v.toFixed(2)).join(" ")}`);
const images = await ensureImageSet(join(workDir, "images"));
const context: PhaseContext = { images, modelDir, workDir, rounds, threads };
const phaseEnv = { ORT_INTRA_OP_THREADS: String(threads), MODEL_DIR: modelDir, POWERTOOLS_LOG_LEVEL: "INFO", POWERTOOLS_METRICS_DISABLED: "false" };

function gitRevision(): string | undefined {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "handler", "scripts"], { encoding: "utf8" }).trim();
    return dirty ? `${head} + uncommitted changes` : head;
  } catch {
    return undefined;
  }
}

const partial: Omit<BenchResults, "targets"> = {
  startedAt: startedAt.toISOString(),
  commit: gitRevision(),
  finishedAt: "",
  durationS: 0,
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    totalMemMB: Math.round(totalmem() / 1048576),
  },
  model: {
    name: manifest.name,
    version: manifest.version,
    sha256: manifest.sha256,
    input: `${manifest.input.layout} ${manifest.input.width}×${manifest.input.height}`,
  },
  threads,
  rounds,
  images: images.map(({ path: _path, ...image }) => image),
  load: {},
  phaseSeconds: {},
  coldStart: {},
  errors: [],
};

async function phase<T>(name: string, body: () => Promise<{ result: T; load: { before: number[]; after: number[] }; seconds: number }>): Promise<T | undefined> {
  if (skip.has(name)) return undefined;
  log(`phase ${name} …`);
  try {
    const { result, load, seconds } = await body();
    partial.load[name] = load;
    partial.phaseSeconds[name] = Math.round(seconds * 10) / 10;
    log(`phase ${name}: ${seconds.toFixed(1)} s`);
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    partial.errors.push(`${name}: ${message}`);
    log(`phase ${name} FAILED: ${message}`);
    return undefined;
  }
}

async function timed<T>(run: () => Promise<T>) {
  const before = loadavg();
  const start = performance.now();
  const result = await run();
  return { result, load: { before, after: loadavg() }, seconds: (performance.now() - start) / 1000 };
}

partial.floor = await phase<FloorResult>("floor", () => runPhase("floor", context, phaseEnv));
partial.conventions = await phase<ConventionsResult>("conventions", () => runPhase("conventions", context, phaseEnv));
partial.inProcess = await phase<InProcessResult>("in-process", () => timed(() => measureInProcess(context, phaseEnv)));

const profileLoop = await phase<ProfileLoopResult>("profile", () => runPhase("profile", context, phaseEnv));
if (profileLoop) {
  try {
    partial.profile = { ...(await summarizeCpuProfile(profileLoop.profilePath, repoRoot)), loop: profileLoop };
    await copyFile(profileLoop.profilePath, join(outDir, "handler.cpuprofile"));
  } catch (error) {
    partial.errors.push(`profile: ${(error as Error).message}`);
  }
}

if (values.build && !skip.has("cold-start-bundle")) {
  log("npm run build …");
  execFileSync("npm", ["run", "--silent", "build"], { stdio: ["ignore", "ignore", "inherit"] });
}
const bundleEntry = join(repoRoot, "build", "lambda", "index.mjs");
const bundleStat = await stat(bundleEntry).catch(() => undefined);
if (bundleStat) {
  partial.coldStart.bundleBuiltAt = bundleStat.mtime.toISOString();
  const sources = await readdir(join(repoRoot, "handler"));
  const newest = Math.max(...(await Promise.all(sources.map(async (name) => (await stat(join(repoRoot, "handler", name))).mtimeMs))));
  partial.coldStart.bundleStale = newest > bundleStat.mtimeMs;
  if (partial.coldStart.bundleStale) log("note: build/lambda is older than handler/ sources (npm run build to refresh)");
  partial.coldStart.bundle = await phase<ColdStartResult>("cold-start-bundle", () => timed(() => measureColdStart({ mode: "bundle", directory: join(repoRoot, "build", "lambda"), runs: coldRuns, threads })));
} else {
  partial.errors.push("cold-start-bundle: build/lambda/index.mjs not found (run npm run build)");
}
partial.coldStart.source = await phase<ColdStartResult>("cold-start-source", () =>
  timed(() => measureColdStart({ mode: "source", directory: repoRoot, runs: Math.max(1, Math.ceil(coldRuns / 2)), threads })),
);
if (!skip.has("cold-start-container")) {
  const ref = defaultLocalImageRef;
  partial.coldStart.container = await phase<ContainerStartResult>("cold-start-container", () =>
    timed(() => measureContainerStart(ref, Math.max(1, Math.ceil(coldRuns / 2)))),
  );
  if (partial.coldStart.container && "unavailable" in partial.coldStart.container) log(`cold-start-container: ${partial.coldStart.container.unavailable}`);
}

process.env.BENCH_SERVER_SECONDS = values["server-seconds"];
partial.server = await phase<ServerResult>("server", () => runPhase("server", context, { MODEL_DIR: modelDir }));

const serverEntry = join(repoRoot, "build", "lambda", "server.mjs");
if (await stat(serverEntry).catch(() => undefined)) {
  const serverEntryResult = await phase<ServerEntryResult>("server-entry", () =>
    timed(() => measureServerEntry({ taskRoot: join(repoRoot, "build", "lambda"), image: images[0]!, durationS: Number(values["server-seconds"]), log })),
  );
  partial.serverEntry = serverEntryResult;
  const points = serverEntryResult?.runs.filter((run) => run.target === "server.mjs" && run.non2xx + run.errors === 0);
  if (points && points.length > 0) {
    partial.costFargateThroughput = {
      description:
        `requests/s of build/lambda/server.mjs pinned to N CPUs of this machine (${partial.machine.cpuModel}), ${serverEntryResult!.image}, ` +
        "two connections per CPU; a Fargate vCPU is a hyperthread of a server CPU, so check it on a real task",
      points: points.map((run) => ({ vcpus: run.vcpus, requestsPerSecond: run.requestsPerSecond, p99Ms: run.latencyMs.p99 })),
    };
  }
} else if (!skip.has("server-entry")) {
  partial.errors.push("server-entry: build/lambda/server.mjs not found (run npm run build, or bench --build)");
}

const batchSizes = await phase<BatchSizesResult>("batch-sizes", () => runPhase("batch-sizes", context, phaseEnv));
if (batchSizes) {
  partial.batchSizes = { ...batchSizes, costs: batchSizeCosts(batchSizes) };
  partial.costBatchDurations = {
    description:
      `warm per-invocation p50 of Distributed Map batches of ${batchSizes.image} read from s3rver, through the in-process handler on this machine ` +
      `(${partial.machine.cpus} × ${partial.machine.cpuModel}, ${threads} threads; a 2048 MB Lambda has ≈1.2 vCPU and reads from S3 over the network, so expect it slower there)`,
    points: batchSizes.runs.map((run) => ({ batchSize: run.batchSize, ms: run.invocationMs.p50 })),
  };
}

const reference = partial.inProcess?.images[0];
if (reference) {
  partial.costDuration = {
    ms: reference.handler.e2e.p50,
    description:
      `warm end-to-end p50 of ${reference.id} through the in-process handler on this machine ` +
      `(${partial.machine.cpus} × ${partial.machine.cpuModel}, ${threads} threads; a 2048 MB Lambda has ≈1.2 vCPU, so expect it slower there)`,
  };
}
partial.finishedAt = new Date().toISOString();
partial.durationS = Math.round((performance.now() - started) / 100) / 10;
const results: BenchResults = { ...partial, targets: evaluateTargets(partial) };

await writeOutputs(results);

log(`\nbench: ${results.durationS} s; wrote ${join(values.out, "results.json")}, REPORT.md, latency.svg`);
for (const target of results.targets) {
  log(`  ${target.met === undefined ? "?" : target.met ? "met    " : "NOT MET"}  ${target.name}: ${target.measured}`);
}
if (results.commit) log(`  (at commit ${results.commit})`);
