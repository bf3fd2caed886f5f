import type { HttpReply } from "../../../handler/http/reply.js";
import { lambdaLimits } from "./limits.js";

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
