import type { ColdStartResult } from "../../shared/cold-start.js";
import { BATCH_COST_GOAL, type BatchSizeCost } from "./batch-costs.js";
import type { ProfileSummary } from "./cpu-profile.js";
import type { BenchImage } from "./image-set.js";
import type { LoadSample } from "./phase-protocol.js";
import type { BatchSizesResult } from "./phases/batch-sizes.js";
import type { ConventionsResult } from "./phases/conventions.js";
import type { FloorResult } from "./phases/floor.js";
import type { InProcessResult } from "./phases/in-process.js";
import type { ServerResult } from "./phases/server.js";
import type { ServerEntryResult } from "./phases/server-entry.js";
import type { ContainerStartResult } from "./container-start.js";

export interface Target {
  name: string;
  goal: string;
  measured: string;
  met: boolean | undefined;
  /** How far off when missed, e.g. "1.42× instead of ≤ 1.25× (+14%)". */
  gap?: string;
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  /** The checkout measured (short hash; notes uncommitted changes under handler/ and scripts/). */
  commit?: string;
  durationS: number;
  machine: { cpus: number; cpuModel: string; node: string; platform: string; totalMemMB: number };
  model: { name: string; version: string; sha256: string; input: string };
  threads: number;
  rounds: number;
  images: Omit<BenchImage, "path">[];
  /** os.loadavg() around each phase: the machine may be shared, and load makes numbers noisy. */
  load: Record<string, LoadSample>;
  phaseSeconds: Record<string, number>;
  floor?: FloorResult;
  /** Every resize convention's decode + resize and end-to-end time beside the exact path's floor. */
  conventions?: ConventionsResult;
  inProcess?: InProcessResult;
  coldStart: {
    bundle?: ColdStartResult;
    source?: ColdStartResult;
    bundleBuiltAt?: string;
    bundleStale?: boolean;
    /** The function image under podman, when podman and the local image exist. */
    container?: ContainerStartResult;
  };
  server?: ServerResult;
  /** The production HTTP entry (server.mjs) against npm start's emulator, pinned to 1 and 2 CPUs. */
  serverEntry?: ServerEntryResult;
  /** Distributed Map batches of 1, 8, 16 and 32 images through the handler, and their cost per million images. */
  batchSizes?: BatchSizesResult & { costs: BatchSizeCost[] };
  profile?: ProfileSummary & { loop: { image: string; iterations: number; loopMs: number } };
  targets: Target[];
  /** The duration `npm run cost` uses by default. */
  costDuration?: { ms: number; description: string };
  /** The per-invocation durations by batch size `npm run cost -- --batch-size N` uses by default. */
  costBatchDurations?: { description: string; points: { batchSize: number; ms: number }[] };
  /** The throughput of one Fargate task by vCPUs that `npm run cost -- --compare fargate` uses by default. */
  costFargateThroughput?: { description: string; points: { vcpus: number; requestsPerSecond: number; p99Ms: number }[] };
  errors: string[];
}

const fixed = (value: number, digits = 1) => value.toFixed(digits);

/** Issue 7's targets from the measurements (undefined `met` when a phase did not run). */
export function evaluateTargets(results: Omit<BenchResults, "targets">): Target[] {
  const targets: Target[] = [];
  const ip = results.inProcess;
  const reference = ip?.images[0];
  if (ip && reference) {
    // The floor's own per-call sums (decode then session.run in one call), so both sides are medians of totals.
    const floor = reference.floorEndToEnd.p50;
    const ratio = reference.handler.e2e.p50 / floor;
    targets.push({
      name: `Warm end-to-end ${reference.id} vs floor`,
      goal: "≤ 1.25 × (bare inference + bare decode-to-224)",
      measured:
        `p50 ${fixed(reference.handler.e2e.p50, 2)} ms vs floor p50 ${fixed(floor, 2)} ms (bare decode + session.run per call; ` +
        `medians apart: ${fixed(reference.floorDecode.p50, 2)} + ${fixed(ip.floorInference.p50, 2)}) → ${fixed(ratio, 2)}×; ` +
        `fastest calls ${fixed(reference.handler.e2e.min, 2)} vs ${fixed(reference.floorEndToEnd.min, 2)} ms → ${fixed(reference.handler.e2e.min / reference.floorEndToEnd.min, 2)}×`,
      met: ratio <= 1.25,
      ...(ratio > 1.25 ? { gap: `${fixed(ratio, 2)}× instead of ≤ 1.25× (${fixed(reference.handler.e2e.p50 - 1.25 * floor, 2)} ms over)` } : {}),
    });

    const ratios = ip.images.map((image) => ({
      id: image.id,
      speedup: image.peer.e2e.p50 / image.handler.e2e.p50,
      bestPossible: image.peer.e2e.p50 / image.floorEndToEnd.p50,
    }));
    const slowest = ratios.reduce((a, b) => (b.speedup < a.speedup ? b : a));
    const disagreements = ip.images.filter((image) => image.ours[0]?.label !== image.theirs[0]?.label).map((image) => image.id);
    const fastEnough = slowest.speedup >= 1.5;
    targets.push({
      name: "Faster than transformers.js, same top-1",
      goal: "≥ 1.5× faster on every image, same top-1 on every image",
      measured:
        `${ratios.map((r) => `${r.id} ${fixed(r.speedup, 3)}×`).join(", ")}; top-1 ` +
        (disagreements.length ? `differs on ${disagreements.join(", ")}` : `agrees on all ${ip.images.length}`),
      met: fastEnough && disagreements.length === 0,
      ...(!fastEnough || disagreements.length
        ? {
            gap: [
              ...ratios
                .filter((r) => r.speedup < 1.5)
                .map((r) => `${r.id} ${fixed(r.speedup, 3)}× (the bare floor itself is ${fixed(r.bestPossible, 2)}× faster than the peer)`),
              disagreements.length ? `top-1 flips on ${disagreements.join(", ")}` : "",
            ]
              .filter(Boolean)
              .join("; "),
          }
        : {}),
    });

    const large = ip.images.find((image) => image.id === "jpeg-4032x3024");
    if (large) {
      const ratio = large.handler.e2e.p50 / reference.handler.e2e.p50;
      const floorRatio = large.floorEndToEnd.p50 / reference.floorEndToEnd.p50;
      targets.push({
        name: "4032×3024 JPEG vs 640×480 (shrink-on-load)",
        goal: "≤ 3 × the 640×480 end-to-end time",
        measured:
          `${fixed(large.handler.e2e.p50, 2)} ms vs ${fixed(reference.handler.e2e.p50, 2)} ms → ${fixed(ratio, 2)}× ` +
          `(the floor's own ratio: ${fixed(large.floorEndToEnd.p50, 2)} / ${fixed(reference.floorEndToEnd.p50, 2)} ms = ${fixed(floorRatio, 2)}×)`,
        met: ratio <= 3,
        ...(ratio > 3
          ? {
              gap:
                `${fixed(ratio, 2)}× instead of ≤ 3×: even with shrink-on-load libjpeg-turbo must entropy-decode all ` +
                `${fixed((results.images.find((image) => image.id === large.id)?.bytes ?? Number.NaN) / 1e6, 1)} MB of the large file (bare decode-to-224 ${fixed(large.floorDecode.p50, 1)} ms vs ` +
                `${fixed(reference.floorDecode.p50, 1)} ms for the small one)`,
            }
          : {}),
      });
    }
  }

  const exact = exactPathTarget(results.conventions);
  if (exact) targets.push(exact);

  const bundle = results.coldStart.bundle;
  targets.push(
    bundle
      ? {
          name: "Cold initialisation from build/lambda",
          goal: "≤ 700 ms process start → handler ready",
          measured: `${fixed(bundle.median.totalMs, 0)} ms (median of ${bundle.runs.length})${results.coldStart.bundleStale ? " — bundle older than handler/ sources" : ""}`,
          met: bundle.median.totalMs <= 700,
          ...(bundle.median.totalMs > 700 ? { gap: `${fixed(bundle.median.totalMs - 700, 0)} ms over` } : {}),
        }
      : { name: "Cold initialisation from build/lambda", goal: "≤ 700 ms", measured: "not measured (no build/lambda; run npm run build)", met: undefined },
  );

  targets.push(batchCostTarget(results.batchSizes?.costs));

  const server = results.server;
  if (server) {
    const steady = Math.max(...server.runs.map((run) => run.steadyRssMB));
    const peak = Math.max(...server.runs.map((run) => run.peakRssMB));
    targets.push({
      name: "Steady RSS per execution environment",
      goal: "≤ 300 MB",
      measured: `steady ${steady} MB, peak ${peak} MB (while serving at ${server.runs.map((r) => `concurrency ${r.concurrency}`).join(" and ")})`,
      met: steady <= 300,
      ...(steady > 300 ? { gap: `${steady - 300} MB over` } : {}),
    });
  } else {
    targets.push({ name: "Steady RSS per execution environment", goal: "≤ 300 MB", measured: "not measured", met: undefined });
  }
  return targets;
}

/** The exact path's goal: at most this many times its floor (bare full decode + bare session.run). */
export const EXACT_PATH_GOAL = 1.2;

/** Warm 640×480 JPEG (the set's first image) through the exact convention vs the exact path's floor, per-call p50s. */
function exactPathTarget(conventions: ConventionsResult | undefined): Target | undefined {
  const reference = conventions?.images[0];
  const exact = reference?.byConvention[conventions!.targetConvention];
  if (!reference || !exact) return undefined;
  const floor = reference.floor.endToEnd.p50;
  const ratio = exact.endToEnd.p50 / floor;
  const met = ratio <= EXACT_PATH_GOAL;
  return {
    name: `Warm ${reference.id} exact path (${conventions!.targetConvention}) vs its floor`,
    goal: `≤ ${EXACT_PATH_GOAL} × (bare full decode + bare session.run)`,
    measured:
      `p50 ${fixed(exact.endToEnd.p50, 2)} ms (decode + resize + fill ${fixed(exact.decodeResize.p50, 2)}) vs floor ${fixed(floor, 2)} ms ` +
      `(full decode ${fixed(reference.floor.decode.p50, 2)}) → ${fixed(ratio, 2)}×; fastest calls ${fixed(exact.endToEnd.min, 2)} vs ` +
      `${fixed(reference.floor.endToEnd.min, 2)} ms → ${fixed(exact.endToEnd.min / reference.floor.endToEnd.min, 2)}×`,
    met,
    ...(met ? {} : { gap: `${fixed(ratio, 2)}× instead of ≤ ${EXACT_PATH_GOAL}× (${fixed(exact.endToEnd.p50 - EXACT_PATH_GOAL * floor, 2)} ms over)` }),
  };
}

const usd = (value: number) => `$${value.toFixed(2)}`;

/** Issue 15: cost per image at the cheapest measured batch size vs one image per invocation, on both architectures. */
export function batchCostTarget(costs: readonly BatchSizeCost[] | undefined): Target {
  const name = "Batch scoring: cost per image, best batch size vs 1 per invocation";
  const goal = `≥ ${BATCH_COST_GOAL}× cheaper (1M images, Distributed Map, STANDARD children, 2048 MB, arm64 and x86_64)`;
  const single = costs?.find((cost) => cost.batchSize === 1);
  const batched = costs?.filter((cost) => cost.batchSize > 1) ?? [];
  if (!single || batched.length === 0) return { name, goal, measured: "not measured", met: undefined };
  const best = batched.reduce((a, b) => (b.perMillionImages.arm64 < a.perMillionImages.arm64 ? b : a));
  const ratios = (["arm64", "x86_64"] as const).map((arch) => ({
    arch,
    job: single.perMillionImages[arch] / best.perMillionImages[arch],
    lambda: single.lambdaPerMillionImages[arch] / best.lambdaPerMillionImages[arch],
  }));
  const worst = Math.min(...ratios.map((ratio) => ratio.job));
  const met = worst >= BATCH_COST_GOAL;
  return {
    name,
    goal,
    measured:
      `best ${best.batchSize} per invocation (${fixed(best.invocationMs, 1)} ms vs ${fixed(single.invocationMs, 1)} ms for 1): ` +
      ratios
        .map(
          ({ arch, job, lambda }) =>
            `${arch} ${usd(best.perMillionImages[arch])} vs ${usd(single.perMillionImages[arch])} per million images → ${fixed(job, 2)}× (Lambda alone ${fixed(lambda, 2)}×)`,
        )
        .join("; "),
    met,
    ...(met ? {} : { gap: `${fixed(worst, 2)}× instead of ≥ ${BATCH_COST_GOAL}×` }),
  };
}
