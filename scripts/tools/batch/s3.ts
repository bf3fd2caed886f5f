import type { S3Client } from "@aws-sdk/client-s3";
import { createS3Client } from "../../../handler/s3-client.js";
import type { BackoffOptions, RetryCounter } from "./backoff.js";
import { FullJitterRetryStrategy } from "./sdk-retry-strategy.js";

export interface S3Location {
  bucket: string;
  /** Key or key prefix; may be "". */
  key: string;
}

export const isS3Url = (value: string) => value.startsWith("s3://");

/** `s3://bucket/prefix` → {bucket, key}; throws a message fit for a usage error. */
export function parseS3Url(url: string): S3Location {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  if (!match) throw new Error(`"${url}" is not an S3 URL of the form s3://bucket/prefix`);
  return { bucket: match[1]!, key: match[2] ?? "" };
}

/** The batch tool's S3 client: standard SDK configuration, our retry strategy, bounded timeouts. */
export function createBatchS3Client(backoff: BackoffOptions, concurrency: number, counter?: RetryCounter): S3Client {
  return createS3Client({
    maxAttempts: backoff.maxAttempts,
    retryStrategy: new FullJitterRetryStrategy(backoff, counter),
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000, httpAgent: { maxSockets: Math.max(50, concurrency * 2) } },
  });
}
