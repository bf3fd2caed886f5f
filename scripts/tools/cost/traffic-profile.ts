import { HOURS_PER_MONTH, SECONDS_PER_MONTH } from "./pricing.js";

/** A typical day's traffic, repeated for every day of the (730-hour) month. */
export interface TrafficProfile {
  /** Requests per second, steady within each hour, for hours 0 to 23. */
  hourlyRps: readonly number[];
  /** Bytes the load balancer processes per request: the request with its headers. */
  requestBytes: number;
  /** Bytes of the response with its headers. */
  responseBytes: number;
  /**
   * Requests each client connection carries (keep-alive); the load balancer bills new and active connections.
   * Default 1: every request on a new connection, the worst case.
   */
  requestsPerConnection?: number;
}

/**
 * The bench's 640×480 photo JPEG is 39,939 bytes; with ≈ 500 bytes of HTTP request headers, about 40,500 bytes. The
 * answer (top 5 labels, model and timings as JSON, ≈ 350 bytes, plus its headers with Server-Timing) about 1,000.
 */
export const DEFAULT_REQUEST_BYTES = 40_500;
export const DEFAULT_RESPONSE_BYTES = 1_000;
export const DEFAULT_REQUESTS_PER_CONNECTION = 1;

export const HOURS_PER_DAY = 24;
/** 730 / 24: how many times each hour of the typical day occurs in a month. */
export const DAYS_PER_MONTH = HOURS_PER_MONTH / HOURS_PER_DAY;

export function checkProfile(profile: TrafficProfile): void {
  const { hourlyRps, requestBytes, responseBytes } = profile;
  if (hourlyRps.length !== HOURS_PER_DAY) throw new RangeError(`hourly requests per second must have 24 values, got ${hourlyRps.length}`);
  const bad = hourlyRps.findIndex((rps) => !Number.isFinite(rps) || rps < 0);
  if (bad >= 0) throw new RangeError(`hourly requests per second must be non-negative numbers, got ${hourlyRps[bad]} for hour ${bad}`);
  for (const [name, bytes] of [["request bytes", requestBytes], ["response bytes", responseBytes]] as const) {
    if (!Number.isFinite(bytes) || bytes < 0) throw new RangeError(`${name} must be a non-negative number, got ${bytes}`);
  }
  const perConnection = profile.requestsPerConnection ?? DEFAULT_REQUESTS_PER_CONNECTION;
  if (!Number.isFinite(perConnection) || perConnection < 1) throw new RangeError(`requests per connection must be at least 1, got ${perConnection}`);
}

/** The same rate every hour: N requests spread evenly over the 730-hour month. */
/** What a request looks like to the load balancer: its sizes and how many share a connection. */
export type RequestShape = Pick<TrafficProfile, "requestBytes" | "responseBytes" | "requestsPerConnection">;

export function flatProfile(requestsPerMonth: number, sizes: RequestShape): TrafficProfile {
  if (!Number.isFinite(requestsPerMonth) || requestsPerMonth < 0) {
    throw new RangeError(`requests per month must be a non-negative number, got ${requestsPerMonth}`);
  }
  const profile = { hourlyRps: Array<number>(HOURS_PER_DAY).fill(requestsPerMonth / SECONDS_PER_MONTH), ...sizes };
  checkProfile(profile);
  return profile;
}

export function hourlyProfile(hourlyRps: readonly number[], sizes: RequestShape): TrafficProfile {
  const profile = { hourlyRps: [...hourlyRps], ...sizes };
  checkProfile(profile);
  return profile;
}

/** Requests a month of this profile: each hour's rate × 3,600 s × 730/24 days. */
export function requestsPerMonth(profile: TrafficProfile): number {
  return profile.hourlyRps.reduce((sum, rps) => sum + rps * 3600, 0) * DAYS_PER_MONTH;
}

export const peakRps = (profile: TrafficProfile) => Math.max(...profile.hourlyRps);
export const isFlat = (profile: TrafficProfile) => profile.hourlyRps.every((rps) => rps === profile.hourlyRps[0]);
