import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { base64DecodedLength, decodeBase64Strict } from "./base64.js";
import { ClientError } from "./errors.js";

/** A content-type header split into its media type (lowercased) and parameters. */
export interface ContentType {
  mediaType: string;
  parameters: Readonly<Record<string, string>>;
  header: string;
}

/** The parts of a function-URL (payload v2.0) event the routes need, normalised. */
export interface HttpRequest {
  requestId: string;
  method: string;
  /** Path without a trailing slash (except "/"). */
  path: string;
  /** Header names lowercased; repeated headers arrive comma-joined. */
  headers: Readonly<Record<string, string>>;
  /** Query parameters; repeated values arrive comma-joined, as AWS sends them. */
  query: Readonly<Record<string, string>>;
  contentType: ContentType | undefined;
  body: { text: string; isBase64Encoded: boolean } | undefined;
}

export function parseContentType(header: string | undefined): ContentType | undefined {
  if (!header) return undefined;
  const [type = "", ...rest] = header.split(";");
  const parameters: Record<string, string> = {};
  for (const part of rest) {
    const separator = part.indexOf("=");
    if (separator < 0) continue;
    const name = part.slice(0, separator).trim().toLowerCase();
    let value = part.slice(separator + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name) parameters[name] = value;
  }
  return { mediaType: type.trim().toLowerCase(), parameters, header };
}

function lowercaseKeys(record: Record<string, string | undefined> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  if (!record) return result;
  for (const key in record) {
    const value = record[key];
    if (typeof value === "string") result[key.toLowerCase()] = value;
  }
  return result;
}

function queryOf(event: APIGatewayProxyEventV2): Record<string, string> {
  const query: Record<string, string> = {};
  if (event.queryStringParameters) {
    for (const key in event.queryStringParameters) {
      const value = event.queryStringParameters[key];
      if (typeof value === "string") query[key] = value;
    }
    return query;
  }
  if (typeof event.rawQueryString === "string" && event.rawQueryString) {
    for (const [key, value] of new URLSearchParams(event.rawQueryString)) {
      query[key] = key in query ? `${query[key]},${value}` : value;
    }
  }
  return query;
}

function normalisePath(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

/** Reads a v2.0 event; throws INVALID_REQUEST when the event is not one (e.g. a test console payload). */
export function requestFromEvent(event: APIGatewayProxyEventV2, fallbackRequestId: string): HttpRequest {
  const http = event?.requestContext?.http;
  if (typeof http?.method !== "string") {
    throw new ClientError("INVALID_REQUEST", "the event is not a Lambda function URL (payload version 2.0) event");
  }
  const headers = lowercaseKeys(event.headers);
  const rawPath = typeof event.rawPath === "string" ? event.rawPath : typeof http.path === "string" ? http.path : "/";
  return {
    requestId: event.requestContext.requestId || fallbackRequestId,
    method: http.method.toUpperCase(),
    path: normalisePath(rawPath),
    headers,
    query: queryOf(event),
    contentType: parseContentType(headers["content-type"]),
    body: typeof event.body === "string" ? { text: event.body, isBase64Encoded: event.isBase64Encoded === true } : undefined,
  };
}

/** The request body's size in bytes, without decoding it. */
export function bodySize(request: HttpRequest): number {
  if (!request.body) return 0;
  return request.body.isBase64Encoded
    ? base64DecodedLength(request.body.text)
    : Buffer.byteLength(request.body.text, "utf8");
}

/** The request body as bytes: 413 over `maxBytes`, 400 INVALID_BASE64 for a body that claims base64 and is not. */
export function readBodyBytes(request: HttpRequest, maxBytes: number): Buffer {
  const body = request.body;
  if (!body || body.text.length === 0) return Buffer.alloc(0);
  assertWithinLimit(bodySize(request), maxBytes);
  if (!body.isBase64Encoded) return Buffer.from(body.text, "utf8");
  const bytes = decodeBase64Strict(body.text);
  if (!bytes) throw new ClientError("INVALID_BASE64", "the request body is marked base64-encoded but is not valid base64");
  return bytes;
}

/** The request body as text (JSON bodies), with the same limits as readBodyBytes. */
export function readBodyText(request: HttpRequest, maxBytes: number): string {
  const body = request.body;
  if (!body) return "";
  if (!body.isBase64Encoded) {
    assertWithinLimit(bodySize(request), maxBytes);
    return body.text;
  }
  return readBodyBytes(request, maxBytes).toString("utf8");
}

function assertWithinLimit(size: number, maxBytes: number): void {
  if (size > maxBytes) {
    throw new ClientError("PAYLOAD_TOO_LARGE", `the request body is ${size} bytes; the limit is ${maxBytes} bytes`);
  }
}
