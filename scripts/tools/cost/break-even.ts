import { billedDurationMs } from "./estimate.js";
import { type FargateService, lcusFor, taskHourlyPrice } from "./fargate-estimate.js";
import { ALB_HOUR, ALB_LCU_HOUR } from "./fargate-pricing.js";
import type { LambdaFunction } from "./lambda-profile.js";
import {
  DURATION_PRICE_PER_GB_SECOND,
  HOURS_PER_MONTH,
  PROVISIONED_CONCURRENCY_PRICE_PER_GB_SECOND,
  PROVISIONED_DURATION_PRICE_PER_GB_SECOND,
  REQUEST_PRICE_PER_MILLION,
  SECONDS_PER_MONTH,
} from "./pricing.js";

/**
 * A monthly cost as a function of a steady rate r (requests/s):
 *   fixed + perRps × r + unitCost × max(minUnits, ceil(r / unitRps))
 * where a unit (a Fargate task, a provisioned Lambda instance) serves unitRps.
 */
export interface SteppedCost {
  fixed: number;
  perRps: number;
  step?: { unitRps: number; minUnits: number; unitCost: number };
}

export function costAt(cost: SteppedCost, rps: number): number {
  const units = cost.step ? Math.max(cost.step.minUnits, Math.ceil(rps / cost.step.unitRps)) : 0;
  return cost.fixed + cost.perRps * rps + units * (cost.step?.unitCost ?? 0);
}

/** What one more request/s adds on average over many units: the slope the costs converge to. */
export const averagePerRps = (cost: SteppedCost) => cost.perRps + (cost.step ? cost.step.unitCost / cost.step.unitRps : 0);

const perRequestMonth = (pricePerRequest: number) => SECONDS_PER_MONTH * pricePerRequest;

export function lambdaOnDemandCurve(fn: LambdaFunction): SteppedCost {
  const gbSeconds = (billedDurationMs(fn.durationMs) / 1000) * (fn.memoryMB / 1024);
  const perRequest = REQUEST_PRICE_PER_MILLION / 1e6 + gbSeconds * DURATION_PRICE_PER_GB_SECOND[fn.architecture];
  return { fixed: 0, perRps: perRequestMonth(perRequest) };
}

/** Provisioned concurrency sized for the rate: ceil(r × billed duration) instances, every request served by them. */
export function lambdaProvisionedCurve(fn: LambdaFunction): SteppedCost {
  const billedSeconds = billedDurationMs(fn.durationMs) / 1000;
  const memoryGB = fn.memoryMB / 1024;
  const perRequest = REQUEST_PRICE_PER_MILLION / 1e6 + billedSeconds * memoryGB * PROVISIONED_DURATION_PRICE_PER_GB_SECOND[fn.architecture];
  return {
    fixed: 0,
    perRps: perRequestMonth(perRequest),
    step: {
      unitRps: 1 / billedSeconds,
      minUnits: 0,
      unitCost: memoryGB * SECONDS_PER_MONTH * PROVISIONED_CONCURRENCY_PRICE_PER_GB_SECOND[fn.architecture],
    },
  };
}

/** Tasks at the target utilization (never fewer than the minimum) and the load balancer, whose LCUs grow with the rate. */
export function fargateCurve(service: FargateService, bytesPerRequest: number, requestsPerConnection = 1): SteppedCost {
  return {
    fixed: HOURS_PER_MONTH * ALB_HOUR,
    // Every LCU dimension grows in proportion to the rate, so their maximum does too.
    perRps: HOURS_PER_MONTH * ALB_LCU_HOUR * lcusFor(1, bytesPerRequest, requestsPerConnection),
    step: {
      unitRps: service.taskRps * service.targetUtilization,
      minUnits: service.minTasks,
      unitCost: HOURS_PER_MONTH * taskHourlyPrice(service),
    },
  };
}

/** Walking further than this many segments means the inputs are degenerate (costs equal to many digits). */
const MAX_SEGMENTS = 10_000_000;

/**
 * The steady rate above which `candidate` (Fargate) costs less than `incumbent` (a Lambda option) at every higher
 * rate: sup{ r ≥ 0 : incumbent(r) − candidate(r) ≤ 0 }, or undefined when there is none (the candidate's average cost
 * per request/s is not below the incumbent's, so it never stays cheaper).
 *
 * Method (exact, no sampling): D(r) = incumbent(r) − candidate(r) is linear between breakpoints (the multiples of
 * each step's unitRps), jumping at them. Because ceil(x) ∈ [x, x + 1), for r past every minimum
 *   D(r) > ΔS × r − (candidate.fixed + candidate.unitCost − incumbent.fixed)   (ΔS = difference of average slopes)
 * so D > 0 from R = max(minimums, E / ΔS) on. From R we walk down the segments (lo, hi] between breakpoints: in the
 * first one where D(hi) ≤ 0 the answer is hi (a jump), and where D(hi) > 0 > D(lo+) it is D's root −A/B there. Below
 * the answer the candidate may still be cheaper in windows just before its own steps (a sawtooth); the answer is the
 * rate from which it is cheaper at every higher rate.
 */
export function breakEvenRps(incumbent: SteppedCost, candidate: SteppedCost): number | undefined {
  const slopeGap = averagePerRps(incumbent) - averagePerRps(candidate);
  if (!(slopeGap > 0)) return undefined;
  const steps = [incumbent.step, candidate.step];
  const pastMinimums = Math.max(0, ...steps.map((step) => (step ? step.minUnits * step.unitRps : 0)));
  const slack = candidate.fixed + (candidate.step?.unitCost ?? 0) - incumbent.fixed;
  let hi = Math.max(pastMinimums, slack / slopeGap);
  // For each step, the largest k with k × unitRps < hi: on (lo, hi] it runs max(minUnits, k + 1) units.
  const below = steps.map((step) => (step ? Math.ceil(hi / step.unitRps) - 1 : 0));
  const unitsCost = (i: 0 | 1) => {
    const step = steps[i];
    return step ? Math.max(step.minUnits, below[i]! + 1) * step.unitCost : 0;
  };
  for (let segment = 0; segment < MAX_SEGMENTS && hi > 0; segment++) {
    const breakpoints = steps.map((step, i) => (step ? below[i]! * step.unitRps : 0));
    const lo = Math.max(0, ...breakpoints);
    const a = incumbent.fixed + unitsCost(0) - candidate.fixed - unitsCost(1);
    const b = incumbent.perRps - candidate.perRps;
    if (a + b * hi <= 0) return hi;
    if (a + b * lo < 0) return -a / b;
    steps.forEach((step, i) => {
      if (step && breakpoints[i] === lo) below[i] = below[i]! - 1;
    });
    hi = lo;
  }
  if (hi > 0) throw new RangeError(`the break-even is more than ${MAX_SEGMENTS} price steps away: the two costs are too close to tell apart`);
  return 0;
}
