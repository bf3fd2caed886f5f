/**
 * AWS Lambda prices, us-east-1, first duration tier (the first 6 billion GB-seconds a month for x86_64, 7.5 billion
 * for arm64). Volume tiers, the free tier and ephemeral storage above 512 MB are not modelled.
 * Source: the AWS Lambda pricing page as quoted in issue 7; taken on PRICES_AS_OF (not re-checked against AWS here:
 * this machine has no network beyond the npm registry).
 */
export const PRICES_AS_OF = "2026-11-27";
export const PRICES_REGION = "us-east-1";

export type Architecture = "x86_64" | "arm64";
export const ARCHITECTURES: readonly Architecture[] = ["x86_64", "arm64"];

/** USD per million requests, any architecture, on-demand or provisioned. */
export const REQUEST_PRICE_PER_MILLION = 0.2;

/** USD per GB-second of on-demand duration. */
export const DURATION_PRICE_PER_GB_SECOND: Record<Architecture, number> = {
  x86_64: 0.0000166667,
  arm64: 0.0000133334,
};

/** USD per GB-second that provisioned concurrency is enabled, per provisioned instance, used or not. */
export const PROVISIONED_CONCURRENCY_PRICE_PER_GB_SECOND: Record<Architecture, number> = {
  x86_64: 0.0000041667,
  arm64: 0.0000033334,
};

/** USD per GB-second of duration of requests served by provisioned instances (instead of the on-demand price). */
export const PROVISIONED_DURATION_PRICE_PER_GB_SECOND: Record<Architecture, number> = {
  x86_64: 0.0000097222,
  arm64: 0.0000077778,
};

/** AWS prices a month as 730 hours. */
export const HOURS_PER_MONTH = 730;
export const SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600;

/** Lambda memory settings accepted by AWS, in MB. */
export const MIN_MEMORY_MB = 128;
export const MAX_MEMORY_MB = 10_240;
