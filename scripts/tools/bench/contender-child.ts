/**
 * One benchmark contender in a process of its own (as in production: one model session per process), driven by the
 * orchestrator over IPC so that contenders take turns and share the machine's busy and quiet moments alike.
 * argv: JSON ContenderStart.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadManifest } from "../../../handler/manifest.js";
import { imageTensorLength, writeImageTensor } from "../../../handler/tensor-layout.js";
import { timeBareDecode } from "./bare-decode.js";
import { createBareSession, prefilledInput, timeRun } from "./bare-session.js";
import type { ContenderReply, ContenderRequest, ContenderSample, ContenderStart } from "./contender-protocol.js";
import { callHandler, type FunctionUrlHandler } from "./handler-call.js";
import { loadPeer } from "./peer.js";

const { name, context } = JSON.parse(process.argv[2] ?? "{}") as ContenderStart;
const send = (reply: ContenderReply) => new Promise<void>((resolve) => (process.send ? process.send(reply, () => resolve()) : resolve()));

async function cpuTimed<T>(run: () => Promise<T>): Promise<{ value: T; cpuMs: number }> {
  const before = process.cpuUsage();
  const value = await run();
  const used = process.cpuUsage(before);
  return { value, cpuMs: (used.user + used.system) / 1000 };
}

async function setUp(): Promise<{ call: (image: number) => Promise<ContenderSample>; fill?: () => number }> {
  const manifest = await loadManifest(context.modelDir);
  const { input } = manifest;
  const images = await Promise.all(context.images.map(async (image) => ({ ...image, data: await readFile(image.path) })));
  switch (name) {
    case "ours": {
      const { handler } = (await import("../../../handler/index.js")) as unknown as { handler: FunctionUrlHandler };
      const raster = Buffer.alloc(input.width * input.height * 3, 97);
      const target = new Float32Array(imageTensorLength(input));
      return {
        call: async (index) => {
          const image = images[index]!;
          const { value, cpuMs } = await cpuTimed(() => callHandler(handler, image.data, image.contentType));
          return {
            e2eMs: value.e2eMs,
            cpuMs,
            decodeMs: value.decodeMs,
            inferenceMs: value.inferenceMs,
            routeTotalMs: value.routeTotalMs,
            predictions: value.predictions,
          };
        },
        fill: () => {
          const start = performance.now();
          writeImageTensor({ pixels: raster, rowPixels: input.width, left: 0, top: 0 }, input, target, 0);
          return performance.now() - start;
        },
      };
    }
    case "peer": {
      const peer = await loadPeer(context.workDir, context.modelDir, manifest, context.threads);
      return {
        call: async (index) => {
          const { value, cpuMs } = await cpuTimed(() => peer(images[index]!.data));
          return { e2eMs: value.e2eMs, cpuMs, predictions: value.predictions };
        },
      };
    }
    case "floor": {
      const session = await createBareSession(await readFile(join(context.modelDir, manifest.file)), context.threads);
      const tensor = prefilledInput(input.layout, input.width, input.height);
      return {
        call: async (index) => {
          const { value, cpuMs } = await cpuTimed(async () => {
            const decodeMs = await timeBareDecode(images[index]!.data, input.width, input.height);
            const inferenceMs = await timeRun(session, input.name, tensor);
            return { decodeMs, inferenceMs };
          });
          return { e2eMs: value.decodeMs + value.inferenceMs, cpuMs, ...value };
        },
      };
    }
  }
}

try {
  const started = performance.now();
  const contender = await setUp();
  // Warm-up: every image twice, so no first-call cost lands in the samples.
  for (let i = 0; i < context.images.length; i++) for (let k = 0; k < 2; k++) await contender.call(i);
  process.on("message", (request: ContenderRequest) => {
    void (async () => {
      try {
        if (request.kind === "fill") {
          if (!contender.fill) throw new Error(`${name} has no tensor fill`);
          for (let i = 0; i < 20; i++) contender.fill();
          await send({ kind: "fill", samples: Array.from({ length: request.count }, () => contender.fill!()) });
          return;
        }
        const samples: ContenderSample[] = [];
        for (let i = 0; i < request.count; i++) samples.push(await contender.call(request.image));
        await send({ kind: "samples", samples });
      } catch (error) {
        await send({ kind: "error", error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      }
    })();
  });
  process.on("disconnect", () => process.exit(0));
  await send({ kind: "ready", loadMs: performance.now() - started });
} catch (error) {
  await send({ kind: "error", error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}
