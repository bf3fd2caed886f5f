import { loadavg } from "node:os";
import { ContenderProcess } from "../contender-process.js";
import type { ContenderName, ContenderSample } from "../contender-protocol.js";
import type { LoadSample, PhaseContext } from "../phase-protocol.js";
import { type Summary, summarize } from "../../../shared/stats.js";

export interface ImageMeasurements {
  id: string;
  floorDecode: Summary;
  /** Per call: bare decode-to-224 + bare session.run, back to back in the floor process. */
  floorEndToEnd: Summary;
  handler: {
    e2e: Summary;
    /** From the response timings: decode + resize + tensor fill. */
    decode: Summary;
    inference: Summary;
    /** Route total minus decode and inference: request parsing, base64, softmax/top-k, JSON. */
    parseAndPostprocess: Summary;
    /** End to end minus the route's total: routing, response object, the request log line and metrics. */
    respondAndLog: Summary;
    /** CPU time of the handler's process (all threads: ORT workers, libvips) during the call. */
    cpu: Summary;
  };
  peer: { e2e: Summary; cpu: Summary };
  ours: { label: string; score: number }[];
  theirs: { label: string; score: number }[];
  /** Every recorded call in order (ms, rounded to 0.01): for looking at the distributions behind the percentiles. */
  raw: {
    ours: { e2e: number[]; decode: number[]; inference: number[] };
    peer: number[];
    floor: { decode: number[]; inference: number[] };
  };
}

export interface InProcessResult {
  threads: number;
  rounds: number;
  /** Recorded calls per contender, image and round, after `warmCallsPerTurn` unrecorded ones that re-warm the process. */
  callsPerTurn: number;
  warmCallsPerTurn: number;
  floorInference: Summary;
  /** writeImageTensor for one 224x224 image: the tensor-fill share of the handler's decode time. */
  tensorFill: Summary;
  images: ImageMeasurements[];
  handlerLoadMs: number;
  peerLoadMs: number;
  load: LoadSample;
}

const round = (ms: number) => Math.round(ms * 100) / 100;
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

/**
 * Our handler, the floor and the peer, each in a process of its own (one model session per process, as in
 * production: sessions sharing a process slow each other down), taking turns image by image and round by round,
 * so that a busy moment on the shared machine hits all three alike.
 */
export async function measureInProcess(context: PhaseContext, env: NodeJS.ProcessEnv): Promise<InProcessResult> {
  const before = loadavg();
  const names: ContenderName[] = ["ours", "peer", "floor"];
  const contenders: ContenderProcess[] = [];
  try {
    for (const name of names) contenders.push(await ContenderProcess.start(name, context, env));
    const [ours, peer, floor] = contenders as [ContenderProcess, ContenderProcess, ContenderProcess];
    const callsPerTurn = Number(process.env.BENCH_CALLS_PER_TURN ?? 4);
    const warmCallsPerTurn = Number(process.env.BENCH_WARM_CALLS_PER_TURN ?? 2);
    const samples = context.images.map(() => ({ ours: [] as ContenderSample[], peer: [] as ContenderSample[], floor: [] as ContenderSample[] }));
    for (let round = 0; round < context.rounds; round++) {
      for (let image = 0; image < context.images.length; image++) {
        for (let k = 0; k < contenders.length; k++) {
          // Rotate the order so no contender always runs right after the same one; the pause lets the previous
          // process's spinning ONNX Runtime workers go to sleep.
          const contender = contenders[(k + round + image) % contenders.length]!;
          await settle();
          // The first calls of a turn only re-warm this process (caches, sleeping threads) after the others ran.
          const calls = await contender.run(image, warmCallsPerTurn + callsPerTurn);
          samples[image]![contender.name].push(...calls.slice(warmCallsPerTurn));
        }
      }
      if (round % 5 === 4) process.stderr.write(`  in-process: round ${round + 1}/${context.rounds}\n`);
    }
    const tensorFill = await ours.fill(200);

    const floorInference = samples.flatMap((s) => s.floor.map((sample) => sample.inferenceMs!));
    return {
      threads: context.threads,
      rounds: context.rounds,
      callsPerTurn,
      warmCallsPerTurn,
      floorInference: summarize(floorInference),
      tensorFill: summarize(tensorFill),
      handlerLoadMs: ours.loadMs,
      peerLoadMs: peer.loadMs,
      load: { before, after: loadavg() },
      images: context.images.map((image, index) => {
        const s = samples[index]!;
        const pick = (list: ContenderSample[], field: (sample: ContenderSample) => number) => summarize(list.map(field));
        return {
          id: image.id,
          floorDecode: pick(s.floor, (x) => x.decodeMs!),
          floorEndToEnd: pick(s.floor, (x) => x.e2eMs),
          handler: {
            e2e: pick(s.ours, (x) => x.e2eMs),
            decode: pick(s.ours, (x) => x.decodeMs!),
            inference: pick(s.ours, (x) => x.inferenceMs!),
            parseAndPostprocess: pick(s.ours, (x) => Math.max(0, x.routeTotalMs! - x.decodeMs! - x.inferenceMs!)),
            respondAndLog: pick(s.ours, (x) => Math.max(0, x.e2eMs - x.routeTotalMs!)),
            cpu: pick(s.ours, (x) => x.cpuMs),
          },
          peer: { e2e: pick(s.peer, (x) => x.e2eMs), cpu: pick(s.peer, (x) => x.cpuMs) },
          ours: s.ours.at(-1)?.predictions ?? [],
          theirs: s.peer.at(-1)?.predictions ?? [],
          raw: {
            ours: { e2e: s.ours.map((x) => round(x.e2eMs)), decode: s.ours.map((x) => round(x.decodeMs!)), inference: s.ours.map((x) => round(x.inferenceMs!)) },
            peer: s.peer.map((x) => round(x.e2eMs)),
            floor: { decode: s.floor.map((x) => round(x.decodeMs!)), inference: s.floor.map((x) => round(x.inferenceMs!)) },
          },
        };
      }),
    };
  } finally {
    for (const contender of contenders) contender.stop();
  }
}
