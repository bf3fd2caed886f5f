import {
  type Architecture,
  DURATION_PRICE_PER_GB_SECOND,
  MAX_MEMORY_MB,
  MIN_MEMORY_MB,
  PROVISIONED_CONCURRENCY_PRICE_PER_GB_SECOND,
  PROVISIONED_DURATION_PRICE_PER_GB_SECOND,
  REQUEST_PRICE_PER_MILLION,
  SECONDS_PER_MONTH,
} from "./pricing.js";

export interface CostInput {
  memoryMB: number;
  architecture: Architecture;
  requestsPerMonth: number;
  /** Measured duration of one request in milliseconds (before Lambda's rounding). */
  durationMs: number;
  /** Provisioned-concurrency instances enabled all month; 0 or undefined = on-demand only. */
  provisioned?: number;
}

export interface OnDemandCost {
  requests: number;
  duration: number;
  total: number;
  perMillionImages: number;
}

export interface ProvisionedCost {
  instances: number;
  /** Requests the instances can serve in a month if traffic were perfectly even (each busy back to back). */
  capacityRequests: number;
  requestsWithinProvisioned: number;
  spilloverRequests: number;
  /** Enabled instances x GB x 730 h, used or not. */
  enabled: number;
  /** Duration of requests served by provisioned instances, at the provisioned duration price. */
  provisionedDuration: number;
  /** Duration of spillover requests, at the on-demand price. */
  spilloverDuration: number;
  requests: number;
  total: number;
  perMillionImages: number;
  /** Share of the provisioned instances' time spent serving requests (0..1). */
  utilisation: number;
}

export interface CostEstimate {
  input: CostInput;
  memoryGB: number;
  /** Lambda bills duration rounded up to the next whole millisecond. */
  billedMs: number;
  /** Billed GB-seconds of one request. */
  gbSecondsPerRequest: number;
  onDemand: OnDemandCost;
  provisioned?: ProvisionedCost;
  /** Utilisation of provisioned instances above which they cost less than on-demand for the same requests. */
  provisionedBreakEvenUtilisation: number;
}

/** Lambda's billed duration: rounded up to 1 ms, never less than 1 ms. */
export function billedDurationMs(durationMs: number): number {
  return Math.max(1, Math.ceil(durationMs));
}

export function checkCostInput(input: CostInput): void {
  const { memoryMB, requestsPerMonth, durationMs, provisioned } = input;
  if (!Number.isInteger(memoryMB) || memoryMB < MIN_MEMORY_MB || memoryMB > MAX_MEMORY_MB) {
    throw new RangeError(`memory must be a whole number of MB from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB}, got ${memoryMB}`);
  }
  if (!(input.architecture in DURATION_PRICE_PER_GB_SECOND)) {
    throw new RangeError(`architecture must be x86_64 or arm64, got ${String(input.architecture)}`);
  }
  if (!Number.isFinite(requestsPerMonth) || requestsPerMonth < 0) {
    throw new RangeError(`requests per month must be a non-negative number, got ${requestsPerMonth}`);
  }
  if (!Number.isFinite(durationMs) || durationMs <= 0) {
    throw new RangeError(`duration must be a positive number of milliseconds, got ${durationMs}`);
  }
  if (provisioned !== undefined && (!Number.isInteger(provisioned) || provisioned < 0)) {
    throw new RangeError(`provisioned concurrency must be a non-negative integer, got ${provisioned}`);
  }
}

const perMillion = (total: number, requests: number) => (requests > 0 ? (total / requests) * 1e6 : 0);

/**
 * Monthly cost on-demand and, when instances are provisioned, with provisioned concurrency. Traffic is assumed even
 * over the month: requests up to the instances' capacity are served by them, the rest spill over at on-demand prices
 * (bursty traffic spills over sooner, so the provisioned figure is a lower bound).
 */
export function estimateMonthlyCost(input: CostInput): CostEstimate {
  checkCostInput(input);
  const { architecture: arch, requestsPerMonth: requests } = input;
  const memoryGB = input.memoryMB / 1024;
  const billedMs = billedDurationMs(input.durationMs);
  const gbSecondsPerRequest = (billedMs / 1000) * memoryGB;
  const requestCharge = (requests / 1e6) * REQUEST_PRICE_PER_MILLION;

  const onDemandDuration = requests * gbSecondsPerRequest * DURATION_PRICE_PER_GB_SECOND[arch];
  const onDemandTotal = requestCharge + onDemandDuration;
  const onDemand: OnDemandCost = {
    requests: requestCharge,
    duration: onDemandDuration,
    total: onDemandTotal,
    perMillionImages: perMillion(onDemandTotal, requests),
  };

  const estimate: CostEstimate = {
    input,
    memoryGB,
    billedMs,
    gbSecondsPerRequest,
    onDemand,
    provisionedBreakEvenUtilisation:
      PROVISIONED_CONCURRENCY_PRICE_PER_GB_SECOND[arch] /
      (DURATION_PRICE_PER_GB_SECOND[arch] - PROVISIONED_DURATION_PRICE_PER_GB_SECOND[arch]),
  };

  const instances = input.provisioned ?? 0;
  if (instances > 0) {
    const capacityRequests = Math.floor((instances * SECONDS_PER_MONTH * 1000) / billedMs);
    const within = Math.min(requests, capacityRequests);
    const spillover = requests - within;
    const enabled = instances * memoryGB * SECONDS_PER_MONTH * PROVISIONED_CONCURRENCY_PRICE_PER_GB_SECOND[arch];
    const provisionedDuration = within * gbSecondsPerRequest * PROVISIONED_DURATION_PRICE_PER_GB_SECOND[arch];
    const spilloverDuration = spillover * gbSecondsPerRequest * DURATION_PRICE_PER_GB_SECOND[arch];
    const total = enabled + provisionedDuration + spilloverDuration + requestCharge;
    estimate.provisioned = {
      instances,
      capacityRequests,
      requestsWithinProvisioned: within,
      spilloverRequests: spillover,
      enabled,
      provisionedDuration,
      spilloverDuration,
      requests: requestCharge,
      total,
      perMillionImages: perMillion(total, requests),
      utilisation: (within * billedMs) / (instances * SECONDS_PER_MONTH * 1000),
    };
  }
  return estimate;
}
