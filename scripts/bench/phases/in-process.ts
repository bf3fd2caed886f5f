import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { loadManifest } from "../../../handler/manifest.js";
import { imageTensorLength, writeImageTensor } from "../../../handler/tensor-layout.js";
import { timeBareDecode } from "../bare-decode.js";
import { createBareSession, prefilledInput, timeRun } from "../bare-session.js";
import { callHandler, type FunctionUrlHandler } from "../handler-call.js";
import { loadPeer } from "../peer.js";
import type { PhaseContext } from "../phase-protocol.js";
import { type Summary, summarize } from "../stats.js";

const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

/** CPU time (all threads of this process, user + system) spent while `run` runs, in ms. */
async function cpuMsOf(run: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

export interface ImageMeasurements {
  id: string;
  floorDecode: Summary;
  handler: {
    e2e: Summary;
    /** From the response timings: decode + resize + tensor fill. */
    decode: Summary;
    inference: Summary;
    /** Route total minus decode and inference: request parsing, base64, softmax/top-k, JSON. */
    parseAndPostprocess: Summary;
    /** End to end minus the route's total: routing, response object, the request log line and metrics. */
    respondAndLog: Summary;
    /** CPU time of the process's threads during the call (ORT workers and libvips included): less sensitive to load. */
    cpu: Summary;
  };
  peer: { e2e: Summary; cpu: Summary };
  ours: { label: string; score: number }[];
  theirs: { label: string; score: number }[];
}

export interface InProcessResult {
  threads: number;
  rounds: number;
  floorInference: Summary;
  /** writeImageTensor for one 224x224 image: the tensor-fill share of the handler's decode time. */
  tensorFill: Summary;
  images: ImageMeasurements[];
  handlerLoadMs: number;
  peerLoadMs: number;
}

/**
 * Our handler, the floor and the peer in one process, interleaved image by image and round by round, so that a
 * busy moment on the shared machine hits all three alike.
 */
export async function run(context: PhaseContext): Promise<InProcessResult> {
  const manifest = await loadManifest(context.modelDir);
  const { input } = manifest;
  const modelBytes = await readFile(join(context.modelDir, manifest.file));
  const images = await Promise.all(context.images.map(async (image) => ({ ...image, data: await readFile(image.path) })));

  let started = performance.now();
  const { handler } = (await import("../../../handler/index.js")) as unknown as { handler: FunctionUrlHandler };
  const handlerLoadMs = performance.now() - started;
  started = performance.now();
  const peer = await loadPeer(context.workDir, context.modelDir, manifest, context.threads);
  const peerLoadMs = performance.now() - started;
  const bare = await createBareSession(modelBytes, context.threads);
  const tensor = prefilledInput(input.layout, input.width, input.height);

  const raster = Buffer.alloc(input.width * input.height * 3, 97);
  const target = new Float32Array(imageTensorLength(input));
  const fillOnce = () => {
    const start = performance.now();
    writeImageTensor({ pixels: raster, rowPixels: input.width, left: 0, top: 0 }, input, target, 0);
    return performance.now() - start;
  };

  for (const image of images) {
    for (let i = 0; i < 2; i++) {
      await callHandler(handler, image.data, image.contentType);
      await peer(image.data);
      await timeBareDecode(image.data, input.width, input.height);
    }
  }
  for (let i = 0; i < 3; i++) await timeRun(bare, input.name, tensor);
  for (let i = 0; i < 50; i++) fillOnce();

  const samples = images.map(() => ({
    floorDecode: [] as number[],
    e2e: [] as number[],
    decode: [] as number[],
    inference: [] as number[],
    parse: [] as number[],
    respond: [] as number[],
    peer: [] as number[],
    handlerCpu: [] as number[],
    peerCpu: [] as number[],
    ours: [] as { label: string; score: number }[],
    theirs: [] as { label: string; score: number }[],
  }));
  const floorInference: number[] = [];
  const tensorFill: number[] = [];

  for (let round = 0; round < context.rounds; round++) {
    for (const [index, image] of images.entries()) {
      const into = samples[index]!;
      const steps = [
        async () => into.floorDecode.push(await timeBareDecode(image.data, input.width, input.height)),
        async () => {
          let sample!: Awaited<ReturnType<typeof callHandler>>;
          into.handlerCpu.push(await cpuMsOf(async () => (sample = await callHandler(handler, image.data, image.contentType))));
          into.e2e.push(sample.e2eMs);
          into.decode.push(sample.decodeMs);
          into.inference.push(sample.inferenceMs);
          into.parse.push(Math.max(0, sample.routeTotalMs - sample.decodeMs - sample.inferenceMs));
          into.respond.push(Math.max(0, sample.e2eMs - sample.routeTotalMs));
          into.ours = sample.predictions;
        },
        async () => {
          let sample!: Awaited<ReturnType<typeof peer>>;
          into.peerCpu.push(await cpuMsOf(async () => (sample = await peer(image.data))));
          into.peer.push(sample.e2eMs);
          into.theirs = sample.predictions;
        },
        async () => floorInference.push(await timeRun(bare, input.name, tensor)),
      ];
      // Rotate the order every round so no contender always runs right after the same one.
      // A pause between contenders lets the previous session's spinning ONNX Runtime workers go to sleep, so
      // they do not steal the 2 cores from the next contender.
      for (let s = 0; s < steps.length; s++) {
        await settle();
        await steps[(s + round + index) % steps.length]!();
      }
      tensorFill.push(fillOnce());
    }
    if (round % 5 === 4) process.stderr.write(`  in-process: round ${round + 1}/${context.rounds}\n`);
  }
  await bare.release();

  return {
    threads: context.threads,
    rounds: context.rounds,
    floorInference: summarize(floorInference),
    tensorFill: summarize(tensorFill),
    handlerLoadMs,
    peerLoadMs,
    images: images.map((image, index) => {
      const s = samples[index]!;
      return {
        id: image.id,
        floorDecode: summarize(s.floorDecode),
        handler: {
          e2e: summarize(s.e2e),
          decode: summarize(s.decode),
          inference: summarize(s.inference),
          parseAndPostprocess: summarize(s.parse),
          respondAndLog: summarize(s.respond),
          cpu: summarize(s.handlerCpu),
        },
        peer: { e2e: summarize(s.peer), cpu: summarize(s.peerCpu) },
        ours: s.ours,
        theirs: s.theirs,
      };
    }),
  };
}
