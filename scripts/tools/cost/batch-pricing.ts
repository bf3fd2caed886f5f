/**
 * Step Functions and S3 request prices for a batch job, same region and date as the Lambda prices in pricing.ts
 * (us-east-1, first tier, no free tier; quoted in issue 15's brief, not re-checked against AWS from this machine).
 */

/** USD per state transition of a STANDARD workflow ($0.025 per 1,000). */
export const STANDARD_TRANSITION_PRICE = 0.025 / 1000;

/** USD per EXPRESS workflow execution ($1.00 per million requests). */
export const EXPRESS_REQUEST_PRICE = 1 / 1e6;

/** USD per GB-second of EXPRESS workflow duration, first 1,000 GB-hours a month. */
export const EXPRESS_DURATION_PRICE_PER_GB_SECOND = 0.00001667;

/** EXPRESS bills memory in 64 MB steps; a child whose input is at most 256 KiB uses the first step. */
export const EXPRESS_MEMORY_STEP_MB = 64;

/** EXPRESS bills duration rounded up to the next 100 ms. */
export const EXPRESS_DURATION_STEP_MS = 100;

/** USD per S3 GET (Standard storage class; $0.0004 per 1,000). */
export const S3_GET_PRICE = 0.0004 / 1000;

/** USD per S3 LIST or PUT request ($0.005 per 1,000). */
export const S3_LIST_PUT_PRICE = 0.005 / 1000;

/** ListObjectsV2 answers at most this many keys per request. */
export const S3_KEYS_PER_LIST = 1000;
