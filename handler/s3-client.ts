import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";

type Env = Record<string, string | undefined>;

/** The endpoint the SDK takes from the environment for S3-compatible servers (MinIO, s3rver, ...), if any. */
export function customS3Endpoint(env: Env = process.env): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === "true") return undefined;
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}

/**
 * S3 client settings on top of the SDK's standard configuration (region, credential chain, endpoint variables).
 * A custom endpoint gets path-style addressing, and checksums only where the API requires them, because most
 * S3-compatible servers neither resolve bucket subdomains nor understand the newer flexible checksums.
 */
export function s3ClientConfig(env: Env = process.env): S3ClientConfig {
  const endpoint = customS3Endpoint(env);
  if (!endpoint) return {};
  return {
    endpoint,
    forcePathStyle: true,
    ...(env.AWS_REQUEST_CHECKSUM_CALCULATION ? {} : { requestChecksumCalculation: "WHEN_REQUIRED" as const }),
    ...(env.AWS_RESPONSE_CHECKSUM_VALIDATION ? {} : { responseChecksumValidation: "WHEN_REQUIRED" as const }),
  };
}

export function createS3Client(overrides: S3ClientConfig = {}, env: Env = process.env): S3Client {
  return new S3Client({ ...s3ClientConfig(env), ...overrides });
}
