import { lambdaLimits } from "./limits.js";

/** An HTTP response ready to write: header pairs (repeatable, e.g. set-cookie) and the body bytes. */
export interface HttpReply {
  statusCode: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

const json = "application/json";

/** What a function URL answers when the function fails (error, crash, timeout, oversized result). */
export function functionErrorReply(requestId: string): HttpReply {
  return {
    statusCode: 502,
    headers: [["content-type", json], ["x-amzn-requestid", requestId]],
    body: Buffer.from("Internal Server Error"),
  };
}

/** What a function URL answers when the request payload is over Lambda's invoke limit. */
export function payloadTooLargeReply(requestId: string): HttpReply {
  const message = `Request must be smaller than ${lambdaLimits.requestPayloadBytes} bytes for the InvokeFunction operation`;
  return {
    statusCode: 413,
    headers: [
      ["content-type", json],
      ["x-amzn-requestid", requestId],
      ["x-amzn-errortype", "RequestEntityTooLargeException"],
    ],
    body: Buffer.from(JSON.stringify({ Message: message })),
  };
}

/** What a function URL answers when Lambda throttles the invocation (no execution environment free). */
export function throttledReply(requestId: string): HttpReply {
  return {
    statusCode: 429,
    headers: [
      ["content-type", json],
      ["x-amzn-requestid", requestId],
      ["x-amzn-errortype", "TooManyRequestsException"],
    ],
    body: Buffer.from(JSON.stringify({ Message: "Rate Exceeded." })),
  };
}

/** The local server's answer to a Host header it does not serve (see host-check.ts). */
export function misdirectedReply(requestId: string, hostHeader: string | undefined): HttpReply {
  const message =
    hostHeader === undefined
      ? "The request has no Host header"
      : `The Host header ${JSON.stringify(hostHeader.slice(0, 200))} does not name this local server`;
  return {
    statusCode: 421,
    headers: [["content-type", json], ["x-amzn-requestid", requestId]],
    body: Buffer.from(JSON.stringify({ Message: message })),
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function isValidStatus(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 100 && value <= 599;
}

/**
 * Maps the function's serialised result to HTTP the way a function URL does (payload format 2.0):
 * an object with `statusCode` is a structured response; any other JSON value is a 200 `application/json`
 * body (a string result is sent as the string itself). Returns undefined for a result a function URL
 * rejects with 502 (a bad status code).
 */
export function replyFromResultPayload(payload: string, requestId: string): HttpReply | undefined {
  const result: unknown = JSON.parse(payload);
  const base: Array<[string, string]> = [["x-amzn-requestid", requestId]];

  if (!isRecord(result) || !("statusCode" in result)) {
    const body = typeof result === "string" ? result : payload;
    return { statusCode: 200, headers: [["content-type", json], ...base], body: Buffer.from(body) };
  }

  if (!isValidStatus(result.statusCode)) return undefined;
  const headers: Array<[string, string]> = [];
  if (isRecord(result.headers)) {
    for (const [name, value] of Object.entries(result.headers)) {
      if (value !== undefined && value !== null) headers.push([name, String(value)]);
    }
  }
  if (!headers.some(([name]) => name.toLowerCase() === "content-type")) headers.unshift(["content-type", json]);
  if (Array.isArray(result.cookies)) {
    for (const cookie of result.cookies) headers.push(["set-cookie", String(cookie)]);
  }

  let body: Buffer;
  if (result.body === undefined || result.body === null) body = Buffer.alloc(0);
  else if (typeof result.body !== "string") body = Buffer.from(JSON.stringify(result.body));
  else body = result.isBase64Encoded === true ? Buffer.from(result.body, "base64") : Buffer.from(result.body);

  return { statusCode: result.statusCode, headers: [...headers, ...base], body };
}
