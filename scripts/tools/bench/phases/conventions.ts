import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { imageTensorLength, preprocessInto } from "../../../../handler/images.js";
import { loadManifest } from "../../../../handler/manifest.js";
import { FUNCTION_DEFAULTS } from "../../../../handler/settings.js";
import { type Summary, summarize } from "../../../shared/stats.js";
import { timeBareFullDecode } from "../bare-decode.js";
import { createBareSession, prefilledInput, timeRun } from "../bare-session.js";
import { inputsByConvention, targetExactConvention } from "../convention-inputs.js";
import type { PhaseContext } from "../phase-protocol.js";

export interface ConventionTimes {
  /** preprocessInto alone: header, decode, resize, tensor fill. */
  decodeResize: Summary;
  /** Per call: preprocessInto then session.run on the tensor it filled. */
  endToEnd: Summary;
}

export interface ConventionImage {
  id: string;
  /** By resize convention ("libvips" = the fast family). */
  byConvention: Record<string, ConventionTimes>;
  /** The exact path's floor: bare full-resolution decode to raw, and per call that + bare session.run. */
  floor: { decode: Summary; endToEnd: Summary };
}

export interface ConventionsResult {
  /** The manifest's convention: the path the handler takes. */
  manifestConvention: string;
  /** The exact convention the exact-path target is measured with. */
  targetConvention: string;
  conventions: string[];
  callsPerTurn: number;
  images: ConventionImage[];
}

interface Sample {
  decodeMs: number;
  e2eMs: number;
}

/**
 * Every resize convention on every image, decode + resize (preprocessInto, no exactResizeMaxPixels: each image follows
 * the convention) and end to end with session.run, beside the exact path's floor. One session; the contenders take
 * turns image by image, order rotated each round, one unrecorded call first in each turn.
 */
export async function run(context: PhaseContext): Promise<ConventionsResult> {
  const manifest = await loadManifest(context.modelDir);
  const session = await createBareSession(await readFile(join(context.modelDir, manifest.file)), context.threads);
  const { input } = manifest;
  const dims = input.layout === "NCHW" ? [1, 3, input.height, input.width] : [1, input.height, input.width, 3];
  const buffer = new Float32Array(imageTensorLength(input));
  const filled = new ort.Tensor("float32", buffer, dims);
  const prefilled = prefilledInput(input.layout, input.width, input.height);
  const images = await Promise.all(context.images.map((image) => readFile(image.path)));
  const options = { maxPixels: FUNCTION_DEFAULTS.maxImagePixels };

  const contenders: { name: string; call: (bytes: Uint8Array) => Promise<Sample> }[] = [
    ...inputsByConvention(input).map(({ convention, input: variant }) => ({
      name: convention,
      call: async (bytes: Uint8Array) => {
        const start = performance.now();
        await preprocessInto(bytes, variant, buffer, 0, options);
        const decodeMs = performance.now() - start;
        return { decodeMs, e2eMs: decodeMs + (await timeRun(session, input.name, filled)) };
      },
    })),
    {
      name: "floor",
      call: async (bytes: Uint8Array) => {
        const decodeMs = await timeBareFullDecode(bytes);
        return { decodeMs, e2eMs: decodeMs + (await timeRun(session, input.name, prefilled)) };
      },
    },
  ];

  for (const bytes of images) for (const contender of contenders) await contender.call(bytes);
  const callsPerTurn = Number(process.env.BENCH_CONVENTION_CALLS_PER_TURN ?? 2);
  const samples = images.map(() => contenders.map(() => [] as Sample[]));
  for (let round = 0; round < context.rounds; round++) {
    for (const [i, bytes] of images.entries()) {
      for (let k = 0; k < contenders.length; k++) {
        const index = (k + round + i) % contenders.length;
        const contender = contenders[index]!;
        await contender.call(bytes);
        for (let call = 0; call < callsPerTurn; call++) samples[i]![index]!.push(await contender.call(bytes));
      }
    }
    if (round % 5 === 4) process.stderr.write(`  conventions: round ${round + 1}/${context.rounds}\n`);
  }
  await session.release();

  const times = (list: Sample[]): ConventionTimes => ({
    decodeResize: summarize(list.map((s) => s.decodeMs)),
    endToEnd: summarize(list.map((s) => s.e2eMs)),
  });
  const floorIndex = contenders.length - 1;
  return {
    manifestConvention: input.resize.convention,
    targetConvention: targetExactConvention(input),
    conventions: contenders.slice(0, floorIndex).map((c) => c.name),
    callsPerTurn,
    images: context.images.map((image, i) => {
      const floor = times(samples[i]![floorIndex]!);
      return {
        id: image.id,
        byConvention: Object.fromEntries(contenders.slice(0, floorIndex).map((c, k) => [c.name, times(samples[i]![k]!)])),
        floor: { decode: floor.decodeResize, endToEnd: floor.endToEnd },
      };
    }),
  };
}
