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

export interface SignedRequest {
  /** The URL to send: the given one with its query replaced by the canonical query that was signed. */
  url: URL;
  /** Every header to send: the given ones plus host, x-amz-date, x-amz-content-sha256, x-amz-security-token, authorization. */
  headers: Record<string, string>;
}

const functionUrlHost = /^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$/i;

/** The region of a Lambda function URL host (`<url-id>.lambda-url.<region>.on.aws`), else undefined. */
export function functionUrlRegion(hostname: string): string | undefined {
  return functionUrlHost.exec(hostname)?.[1]?.toLowerCase();
}

/** 127.0.0.0/8, ::1 or localhost (a URL's hostname: IPv4 already normalised, IPv6 in brackets). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Why a request to `url` must not be signed, or undefined when it may: a signed request over plain http puts a
 * replayable Authorization header and the session token on the wire, so only https (or loopback http) is signed.
 */
export function signingRefusal(url: URL): string | undefined {
  if (url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname))) return undefined;
  return (
    `refusing to SigV4-sign a request to ${url.protocol}//${url.host}: over plain ${url.protocol.replace(":", "")} the ` +
    "Authorization header and session token would cross the network readable and replayable. Use https " +
    "(plain http is signed only for loopback: 127.0.0.0/8, ::1, localhost)"
  );
}

export class InsecureSigningError extends Error {}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** RFC 3986 encoding as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ is percent-encoded. */
const rfc3986 = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * The SigV4 canonical query of a URL: its parameters, read as a browser reads them (`+` is a space), RFC 3986
 * encoded and sorted by name, then value. Signed and sent as it is, so the server sees exactly what was signed.
 */
export function canonicalQuery(url: URL): string {
  return [...url.searchParams]
    .map(([name, value]) => [rfc3986(name), rfc3986(value)] as const)
    .sort(([a, aValue], [b, bValue]) => compare(a, b) || compare(aValue, bValue))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

/** A canonical query decoded for the signer, which encodes each name and value again (to the same text). */
function queryRecord(canonical: string): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const pair of canonical ? canonical.split("&") : []) {
    const separator = pair.indexOf("=");
    const key = decodeURIComponent(pair.slice(0, separator));
    const value = decodeURIComponent(pair.slice(separator + 1));
    const existing = query[key];
    query[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

/**
 * Signs a request with AWS Signature Version 4 (for a function URL with AWS_IAM auth: service `lambda`, the
 * URL's region). Send the returned URL and headers as they are. Throws InsecureSigningError for plain http to a
 * host other than loopback.
 */
export async function signRequest(request: SignableRequest, options: SigningOptions): Promise<SignedRequest> {
  const refusal = signingRefusal(request.url);
  if (refusal) throw new InsecureSigningError(refusal);
  const url = new URL(request.url);
  url.search = canonicalQuery(request.url);
  const body = request.body ?? new Uint8Array();
  const headers: Record<string, string> = { host: url.host };
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
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: queryRecord(url.search.slice(1)),
      headers,
      body,
    }),
    options.signingDate ? { signingDate: options.signingDate } : {},
  );
  return { url, headers: signed.headers };
}
