import { billedDurationMs, estimateMonthlyCost, type OnDemandCost } from "./estimate.js";
import { type Architecture, SECONDS_PER_MONTH } from "./pricing.js";
import { checkProfile, HOURS_PER_DAY, peakRps, requestsPerMonth, type TrafficProfile } from "./traffic-profile.js";

export interface LambdaFunction {
  memoryMB: number;
  architecture: Architecture;
  /** Warm duration of one request in milliseconds, before Lambda's rounding. */
  durationMs: number;
}

export interface ProfileProvisionedCost {
  instances: number;
  /** True when the instances were sized for the peak hour rather than given. */
  sizedForPeak: boolean;
  enabled: number;
  provisionedDuration: number;
  spilloverDuration: number;
  spilloverRequests: number;
  requests: number;
  total: number;
  perMillionRequests: number;
  /** Share of the instances' time spent serving requests over the month (0..1). */
  utilisation: number;
}

export interface LambdaProfileCost {
  requestsPerMonth: number;
  billedMs: number;
  onDemand: OnDemandCost;
  provisioned: ProfileProvisionedCost;
}

/** Instances that serve the peak hour's rate back to back: concurrency = requests/s × billed duration, rounded up. */
export function provisionedForPeak(profile: TrafficProfile, durationMs: number): number {
  return Math.ceil((peakRps(profile) * billedDurationMs(durationMs)) / 1000);
}

/**
 * On demand: the month's requests. With provisioned concurrency (K instances all month), each hour of the typical
 * day is priced as if its rate lasted the whole month, divided by 24: within an hour the instances serve up to their
 * capacity at the provisioned rate and the rest spills over at on-demand prices (even traffic within the hour, so this
 * is a lower bound for bursty traffic), while the enabled charge adds up to K × 730 h.
 */
export function estimateLambdaProfile(profile: TrafficProfile, fn: LambdaFunction, provisioned?: number): LambdaProfileCost {
  checkProfile(profile);
  const requests = requestsPerMonth(profile);
  const whole = estimateMonthlyCost({ ...fn, requestsPerMonth: requests });
  const instances = provisioned ?? provisionedForPeak(profile, fn.durationMs);
  const sum = { enabled: 0, provisionedDuration: 0, spilloverDuration: 0, spilloverRequests: 0, requests: 0, busyMs: 0 };
  for (const rps of profile.hourlyRps) {
    const slice = estimateMonthlyCost({ ...fn, requestsPerMonth: rps * SECONDS_PER_MONTH, provisioned: instances });
    const part = slice.provisioned ?? {
      enabled: 0,
      provisionedDuration: 0,
      spilloverDuration: slice.onDemand.duration,
      spilloverRequests: rps * SECONDS_PER_MONTH,
      requestsWithinProvisioned: 0,
    };
    sum.enabled += part.enabled / HOURS_PER_DAY;
    sum.provisionedDuration += part.provisionedDuration / HOURS_PER_DAY;
    sum.spilloverDuration += part.spilloverDuration / HOURS_PER_DAY;
    sum.spilloverRequests += part.spilloverRequests / HOURS_PER_DAY;
    sum.requests += slice.onDemand.requests / HOURS_PER_DAY;
    sum.busyMs += (part.requestsWithinProvisioned * slice.billedMs) / HOURS_PER_DAY;
  }
  const total = sum.enabled + sum.provisionedDuration + sum.spilloverDuration + sum.requests;
  return {
    requestsPerMonth: requests,
    billedMs: whole.billedMs,
    onDemand: whole.onDemand,
    provisioned: {
      instances,
      sizedForPeak: provisioned === undefined,
      enabled: sum.enabled,
      provisionedDuration: sum.provisionedDuration,
      spilloverDuration: sum.spilloverDuration,
      spilloverRequests: sum.spilloverRequests,
      requests: sum.requests,
      total,
      perMillionRequests: requests > 0 ? (total / requests) * 1e6 : 0,
      utilisation: instances > 0 ? sum.busyMs / (instances * SECONDS_PER_MONTH * 1000) : 0,
    },
  };
}
