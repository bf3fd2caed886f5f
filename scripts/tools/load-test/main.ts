import { parseArgs } from "node:util";
import type { Instance, Result } from "autocannon";
import { autocannon } from "../../shared/autocannon.js";
import { startLocalServer } from "./local-server.js";
import { buildRequestMix } from "../../shared/request-mix.js";

// Bounded load on loopback: the local function URL (scripts/tools/serve/main.ts) under N connections, valid and invalid requests
// interleaved. Fails on any status other than the one each request must get, and on any connection error or timeout.
const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "10000" },
    connections: { type: "string", default: "32" },
    concurrency: { type: "string", default: "2" },
    "max-seconds": { type: "string", default: "240" },
  },
});
const total = Number(values.requests);
const connections = Number(values.connections);
const concurrency = Number(values.concurrency);
const maxSeconds = Number(values["max-seconds"]);

const mix = await buildRequestMix();
const byName = new Map(mix.requests.map((request) => [request.name, { expected: request.expectedStatus, seen: new Map<number, number>() }]));
const unexpected: string[] = [];
let responses = 0;

console.error(`Starting the local server (--concurrency ${concurrency}) …`);
const server = await startLocalServer({
  concurrency,
  // Every connection may wait for an environment: a 429 would count as an unexpected status.
  maxQueued: connections,
  env: { POWERTOOLS_LOG_LEVEL: "WARN", POWERTOOLS_METRICS_DISABLED: "true" },
});
let failed = false;
try {
  console.error(`Sending ${total} requests over ${connections} connections to ${server.url} …`);
  const startedAt = performance.now();
  let instance: Instance | undefined;
  const finished = new Promise<Result>((resolveResult, reject) => {
    instance = autocannon({
    url: server.url,
    connections,
    amount: total,
    timeout: 60,
    requests: mix.requests.map((request) => ({
      method: request.method,
      path: request.path,
      headers: request.headers,
      ...(request.body ? { body: request.body } : {}),
      onResponse: (status: number, body: string) => {
        responses++;
        const entry = byName.get(request.name)!;
        entry.seen.set(status, (entry.seen.get(status) ?? 0) + 1);
        if (status !== request.expectedStatus && unexpected.length < 20) {
          unexpected.push(`${request.name}: ${status} (expected ${request.expectedStatus}) ${body.slice(0, 200)}`);
        }
      },
    })),
    }, (error, result) => (error ? reject(error as Error) : resolveResult(result)));
  });
  const guard = setTimeout(() => {
    console.error(`Stopping: over ${maxSeconds} s.`);
    failed = true;
    instance?.stop();
  }, maxSeconds * 1000);
  const result = await finished;
  clearTimeout(guard);
  const seconds = (performance.now() - startedAt) / 1000;

  const unexpectedCount = [...byName.values()].reduce(
    (sum, entry) => sum + [...entry.seen].filter(([status]) => status !== entry.expected).reduce((n, [, count]) => n + count, 0),
    0,
  );
  const images = mix.requests.reduce((sum, request) => sum + request.images, 0) / mix.requests.length;
  console.log("Load test (loopback, local function URL)");
  console.log(`  environments      ${concurrency} (scripts/tools/serve/main.ts --concurrency ${concurrency})`);
  console.log(`  connections       ${connections}`);
  console.log(`  images            ${Object.entries(mix.imageBytes).map(([name, bytes]) => `${name} ${bytes} B`).join(", ")}`);
  console.log(`  request kinds     ${mix.requests.length} (${mix.requests.filter((r) => r.expectedStatus === 200).length} valid), ~${images.toFixed(2)} decoded images per request`);
  console.log(`  responses         ${responses} of ${total} in ${seconds.toFixed(1)} s → ${(responses / seconds).toFixed(1)} requests/s`);
  console.log(`  latency           p50 ${result.latency.p50} ms, p90 ${result.latency.p90} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`);
  console.log(`  statuses          ${Object.entries(result.statusCodeStats ?? {}).map(([status, { count }]) => `${status}×${count}`).join(" ")}`);
  console.log(`  errors            ${result.errors} connection errors, ${result.timeouts} timeouts, ${result.resets} resets`);
  console.log(`  unexpected        ${unexpectedCount}`);
  for (const [name, entry] of byName) {
    const seen = [...entry.seen].map(([status, count]) => `${status}×${count}`).join(" ");
    console.log(`    ${name.padEnd(36)} expect ${entry.expected}  got ${seen}`);
  }
  for (const line of unexpected) console.log(`  ! ${line}`);
  if (responses !== total || unexpectedCount > 0 || result.errors > 0 || result.timeouts > 0 || result.resets > 0) failed = true;
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  const code = await server.stop();
  if (code !== 0) {
    console.error(`The local server exited with ${code}; its last output:\n${server.recentOutput().join("\n")}`);
    failed = true;
  }
}
console.log(failed ? "LOAD TEST FAILED" : "Load test passed.");
process.exit(failed ? 1 : 0);
