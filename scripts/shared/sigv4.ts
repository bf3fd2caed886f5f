import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";

export interface SignableRequest {
  method: string;
  url: URL;
  /** Headers to send and sign (names in any case); `host` is taken from the URL. */
  headers: Record<string, string>;
  body?: Uint8Array;
}

export interface SigningOptions {
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  region: string;
  /** `lambda` for function URLs. */
  service?: string;
  signingDate?: Date;
  /** Send and sign `x-amz-content-sha256` (default true; off only to reproduce AWS's published examples). */
  includePayloadHash?: boolean;
}

const functionUrlHost = /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/i;

/** The region of a Lambda function URL host (`<url-id>.lambda-url.<region>.on.aws`), else undefined. */
export function functionUrlRegion(hostname: string): string | undefined {
  return functionUrlHost.exec(hostname)?.[1]?.toLowerCase();
}

function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const existing = query[key];
    query[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

/**
 * Signs a request with AWS Signature Version 4 (for a function URL with AWS_IAM auth: service `lambda`, the
 * URL's region) and returns every header to send: the given ones plus host, x-amz-date, x-amz-content-sha256,
 * x-amz-security-token for temporary credentials, and authorization.
 */
export async function signRequest(request: SignableRequest, options: SigningOptions): Promise<Record<string, string>> {
  const body = request.body ?? new Uint8Array();
  const headers: Record<string, string> = { host: request.url.host };
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  const signer = new SignatureV4({
    // Adds and signs x-amz-content-sha256, the hex SHA-256 of the body.
    applyChecksum: options.includePayloadHash ?? true,
    credentials: options.credentials,
    region: options.region,
    service: options.service ?? "lambda",
    sha256: Sha256,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method.toUpperCase(),
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      ...(request.url.port ? { port: Number(request.url.port) } : {}),
      path: request.url.pathname,
      query: queryOf(request.url),
      headers,
      body,
    }),
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  return signed.headers;
}
