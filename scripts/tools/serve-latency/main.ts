/**
 * Warm latency by phase for one 640×480 JPEG through the local function URL:
 * client round trip, the invocation's REPORT Duration, the handler's decode/inference/total timings,
 * and what the local URL adds around the invocation. Prints medians (and p90) plus a sample REPORT line.
 *
 *   npm run serve:latency -- [--requests 50] [--warmup 5] [--handler PATH]
 */
import { parseArgs } from "node:util";
import sharp from "sharp";
import { defaultHandlerModule } from "../../shared/lambda-emulator/options.js";
import { startLocalFunctionUrl } from "../../shared/lambda-emulator/server.js";
import { median, percentile } from "../../shared/stats.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "50" },
    warmup: { type: "string", default: "5" },
    handler: { type: "string", default: defaultHandlerModule },
  },
});
const requests = Number(values.requests);
const warmup = Number(values.warmup);

/** A photo-like 640×480 JPEG: a smooth gradient with fine noise, so it compresses like a real picture. */
async function photoLikeJpeg(): Promise<Buffer> {
  const width = 640;
  const height = 480;
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 42;
  const noise = () => ((seed = (seed * 1_103_515_245 + 12_345) >>> 0) % 41) - 20;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = Math.max(0, Math.min(255, (x * 255) / width + noise()));
      pixels[i + 1] = Math.max(0, Math.min(255, (y * 255) / height + noise()));
      pixels[i + 2] = Math.max(0, Math.min(255, 128 + 60 * Math.sin((x + y) / 40) + noise()));
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}


const reports = new Map<string, { line: string; durationMs: number }>();
const server = await startLocalFunctionUrl({
  handlerModule: values.handler,
  port: 0,
  functionOutput: "ignore",
  env: { ...process.env, POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" },
  log: (line) => {
    const match = /^REPORT RequestId: (\S+)\tDuration: ([\d.]+) ms/.exec(line);
    if (match) reports.set(match[1]!, { line, durationMs: Number(match[2]) });
  },
});

const jpeg = await photoLikeJpeg();
const phases: Record<string, number[]> = { client: [], invocation: [], decode: [], inference: [], handlerTotal: [], localUrl: [] };
let coldReport: string | undefined;
try {
  for (let i = 0; i < warmup + requests; i++) {
    const started = performance.now();
    const response = await fetch(`${server.url}/classify`, { method: "POST", headers: { "content-type": "image/jpeg" }, body: jpeg });
    const body = (await response.json()) as { timings: { decodeMs: number; inferenceMs: number; totalMs: number } };
    const clientMs = performance.now() - started;
    if (response.status !== 200) throw new Error(`status ${response.status}: ${JSON.stringify(body)}`);
    const report = reports.get(response.headers.get("x-amzn-requestid") ?? "");
    if (!report) throw new Error("no REPORT line for the request");
    if (i === 0) coldReport = report.line;
    if (i < warmup) continue;
    phases.client!.push(clientMs);
    phases.invocation!.push(report.durationMs);
    phases.decode!.push(body.timings.decodeMs);
    phases.inference!.push(body.timings.inferenceMs);
    phases.handlerTotal!.push(body.timings.totalMs);
    phases.localUrl!.push(clientMs - report.durationMs);
  }
} finally {
  await server.close();
}

console.log(`640×480 JPEG, ${jpeg.length} bytes; ${requests} warm requests after ${warmup} warm-up, one at a time\n`);
console.log("| phase | median ms | p90 ms |\n|---|---:|---:|");
const names: Record<string, string> = {
  decode: "decode + preprocess (handler decodeMs)",
  inference: "ONNX inference (handler inferenceMs)",
  handlerTotal: "handler total (totalMs)",
  invocation: "invocation (REPORT Duration)",
  localUrl: "local URL: HTTP + event + IPC",
  client: "client round trip",
};
for (const key of ["decode", "inference", "handlerTotal", "invocation", "localUrl", "client"]) {
  console.log(`| ${names[key]} | ${median(phases[key]!).toFixed(2)} | ${percentile([...phases[key]!].sort((a, b) => a - b), 90).toFixed(2)} |`);
}
console.log(`\nCold REPORT: ${coldReport}`);
console.log(`Warm REPORT: ${[...reports.values()].at(-1)?.line}`);
