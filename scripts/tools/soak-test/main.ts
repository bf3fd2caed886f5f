import { parseArgs } from "node:util";
import sharp from "sharp";
import { createHandler } from "../../../handler/app.js";
import { Classifier } from "../../../handler/classifier.js";
import { loadConfig } from "../../../handler/config.js";
import { Telemetry } from "../../../handler/telemetry.js";
import { buildRequestMix, type MixedRequest } from "../../shared/request-mix.js";
import { createLambdaContext, functionSettingsFromEnv } from "../../shared/lambda-emulator/context.js";
import { buildFunctionUrlEvent } from "../../../handler/http/event.js";

// Soak: many in-process invocations of one handler instance. After a warm-up, resident memory may grow by at most
// --max-growth and the process may hold no more active resources (handles, requests) than before.
// Run with --expose-gc so both measurements are taken after a full collection.
const { values } = parseArgs({
  options: {
    invocations: { type: "string", default: "5000" },
    warmup: { type: "string", default: "1000" },
    "max-growth": { type: "string", default: "0.05" },
  },
});
const invocations = Number(values.invocations);
const warmup = Number(values.warmup);
const maxGrowth = Number(values["max-growth"]);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error("Run with node --expose-gc (npm run test:load does).");
  process.exit(2);
}

process.env.POWERTOOLS_METRICS_DISABLED = "true";
const config = loadConfig({ ...process.env, POWERTOOLS_LOG_LEVEL: "SILENT" });
const classifier = await Classifier.load(config.modelDir, { threads: config.intraOpThreads, maxPixels: config.maxImagePixels });
const handler = createHandler({ config, classifier, telemetry: new Telemetry(config), initializationType: "local" });
const settings = functionSettingsFromEnv(process.env);
const mix = await buildRequestMix();

let sequence = 0;
const unexpected: string[] = [];
async function invoke(request: MixedRequest): Promise<void> {
  const requestId = `soak-${++sequence}`;
  const event = buildFunctionUrlEvent(
    {
      method: request.method,
      target: request.path,
      httpVersion: "1.1",
      headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, [value]])),
      sourceIp: "127.0.0.1",
      localPort: 9000,
      ...(request.body ? { body: request.body } : {}),
    },
    { requestId, receivedAt: new Date(), urlId: "soak" },
  );
  const response = await handler(event, createLambdaContext(settings, requestId, Date.now() + 30_000));
  if (response.statusCode !== request.expectedStatus && unexpected.length < 20) {
    unexpected.push(`${request.name}: ${response.statusCode} (expected ${request.expectedStatus}) ${response.body.slice(0, 200)}`);
  }
}

async function run(count: number, onProgress?: (done: number) => void): Promise<void> {
  for (let i = 0; i < count; i++) {
    await invoke(mix.requests[i % mix.requests.length]!);
    if (onProgress && (i + 1) % 500 === 0) onProgress(i + 1);
  }
}

interface Snapshot {
  rssMB: number;
  heapUsedMB: number;
  externalMB: number;
  resources: Record<string, number>;
}

async function settledSnapshot(): Promise<Snapshot> {
  for (let i = 0; i < 3; i++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const memory = process.memoryUsage();
  const resources: Record<string, number> = {};
  for (const name of process.getActiveResourcesInfo()) resources[name] = (resources[name] ?? 0) + 1;
  const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
  return { rssMB: mb(memory.rss), heapUsedMB: mb(memory.heapUsed), externalMB: mb(memory.external), resources };
}

const describe = (s: Snapshot) =>
  `RSS ${s.rssMB} MB, heap ${s.heapUsedMB} MB, external ${s.externalMB} MB, active resources ${JSON.stringify(s.resources)}`;

const startedAt = performance.now();
await run(warmup);
const before = await settledSnapshot();
console.log(`after ${warmup} warm-up invocations: ${describe(before)}`);
await run(invocations, (done) => console.log(`  ${String(done).padStart(5)} invocations: RSS ${Math.round(process.memoryUsage().rss / 1024 / 1024)} MB`));
const after = await settledSnapshot();
console.log(`after ${invocations} more invocations: ${describe(after)}`);
await classifier.dispose();

// sharp's own count of queued and running pipelines: every one must have finished.
const pipelines = sharp.counters();
const growth = (after.rssMB - before.rssMB) / before.rssMB;
const grownResources = Object.entries(after.resources).filter(([name, count]) => count > (before.resources[name] ?? 0));
const seconds = (performance.now() - startedAt) / 1000;
console.log("Soak test (in-process, one handler instance)");
console.log(`  invocations   ${warmup} warm-up + ${invocations} measured in ${seconds.toFixed(1)} s`);
console.log(`  RSS           ${before.rssMB} MB → ${after.rssMB} MB (${(growth * 100).toFixed(2)}%, limit ${(maxGrowth * 100).toFixed(0)}%)`);
console.log(`  heap used     ${before.heapUsedMB} MB → ${after.heapUsedMB} MB`);
console.log(`  resources     ${grownResources.length ? `grew: ${JSON.stringify(grownResources)}` : "no growth"}`);
console.log(`  sharp         ${pipelines.queue} queued, ${pipelines.process} running pipelines`);
console.log(`  unexpected    ${unexpected.length}`);
for (const line of unexpected) console.log(`  ! ${line}`);
const failed = growth > maxGrowth || grownResources.length > 0 || pipelines.queue + pipelines.process > 0 || unexpected.length > 0;
console.log(failed ? "SOAK TEST FAILED" : "Soak test passed.");
process.exit(failed ? 1 : 0);
