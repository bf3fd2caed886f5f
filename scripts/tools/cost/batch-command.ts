import { type BatchComparison, type ChildExecutionType, compareWithSingleImage, type ItemSource } from "./batch-estimate.js";
import { formatBatchComparison } from "./batch-format.js";
import {
  DEFAULT_INVOCATION_DURATION,
  durationAt,
  fitInvocationDuration,
  type InvocationDurationModel,
  invocationDurationMs,
  type MeasuredInvocation,
} from "./invocation-duration.js";
import type { MeasuredBatchDurations } from "./measured-duration.js";
import type { Architecture } from "./pricing.js";

export interface BatchCostOptions {
  images: number;
  batchSize: number;
  memoryMB: number;
  architectures: readonly Architecture[];
  childExecutionType: ChildExecutionType;
  source: ItemSource;
  /** Both given: the duration line from the command line, ahead of any measurement. */
  overheadMs?: number;
  perImageMs?: number;
}

export interface BatchCostAnswer {
  durationSource: string;
  comparison: BatchComparison;
  text: string;
}

const ms = (value: number) => `${Number(value.toFixed(2))} ms`;

interface DurationChoice {
  at: (batchSize: number) => number;
  source: string;
}

function chooseDuration(options: BatchCostOptions, measured: MeasuredBatchDurations | undefined): DurationChoice {
  const line = (model: InvocationDurationModel) => `${ms(model.overheadMs)} + ${ms(model.perImageMs)} × images`;
  if (options.overheadMs !== undefined && options.perImageMs !== undefined) {
    const model = { overheadMs: options.overheadMs, perImageMs: options.perImageMs };
    return { at: (n) => invocationDurationMs(model, n), source: `${line(model)} (given with --overhead-ms and --per-image-ms)` };
  }
  if (measured) {
    const points: MeasuredInvocation[] = measured.points;
    const sizes = [...new Set(points.map((point) => point.batchSize))];
    const model = sizes.length >= 2 ? fitInvocationDuration(points) : undefined;
    const at = (n: number) => (model ? durationAt(n, model, points) : points.find((point) => point.batchSize === n)?.ms);
    if ([options.batchSize, 1].every((n) => at(n) !== undefined)) {
      return {
        at: (n) => at(n)!,
        source:
          `measured p50 at ${points.map((point) => `${point.batchSize} image(s) ${ms(point.ms)}`).join(", ")}` +
          (model ? `; other sizes on the fitted line ${line(model)}` : "") +
          ` (${measured.description})`,
      };
    }
  }
  const model = DEFAULT_INVOCATION_DURATION;
  return {
    at: (n) => invocationDurationMs(model, n),
    source: `${line(model)} (documented default for a 2048 MB Lambda, see invocation-duration.ts; run \`npm run bench\` to measure)`,
  };
}

/** `npm run cost -- --batch-size N`: the job at N images per invocation beside one image per invocation. */
export function batchCost(options: BatchCostOptions, measured: MeasuredBatchDurations | undefined): BatchCostAnswer {
  const duration = chooseDuration(options, measured);
  const comparison = compareWithSingleImage(
    { images: options.images, memoryMB: options.memoryMB, childExecutionType: options.childExecutionType, source: options.source },
    options.batchSize,
    duration.at,
    options.architectures,
  );
  return { durationSource: duration.source, comparison, text: formatBatchComparison(comparison, duration.source) };
}
