import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { buildFunctionUrlEvent } from "../../../handler/http/event.js";

export type FunctionUrlHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<{ statusCode?: number; headers?: Record<string, unknown>; body?: string }>;

export interface HandlerSample {
  e2eMs: number;
  /** From the response's `timings`: decode (decode + resize + tensor fill), inference, the route's total. */
  decodeMs: number;
  inferenceMs: number;
  routeTotalMs: number;
  predictions: { label: string; score: number }[];
}

let counter = 0;

/** The event a function URL sends for `POST /classify` with the image as the raw body (base64, as for any binary). */
export function classifyEvent(bytes: Uint8Array, contentType: string): APIGatewayProxyEventV2 {
  const requestId = `bench-${++counter}`;
  return buildFunctionUrlEvent(
    {
      method: "POST",
      target: "/classify",
      httpVersion: "1.1",
      headers: { "content-type": [contentType], "content-length": [String(bytes.length)], host: ["127.0.0.1:9000"] },
      sourceIp: "127.0.0.1",
      localPort: 9000,
      body: bytes,
    },
    { requestId, receivedAt: new Date(), urlId: "bench" },
  );
}

export function benchContext(requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "bench",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:bench",
    memoryLimitInMB: "2048",
    awsRequestId: requestId,
    logGroupName: "/aws/lambda/bench",
    logStreamName: "bench",
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** One warm call of the exported handler, timed from the call to the resolved response (the event is built before). */
export async function callHandler(handler: FunctionUrlHandler, bytes: Uint8Array, contentType: string): Promise<HandlerSample> {
  const event = classifyEvent(bytes, contentType);
  const context = benchContext(event.requestContext.requestId);
  const start = performance.now();
  const response = await handler(event, context);
  const e2eMs = performance.now() - start;
  if (response.statusCode !== 200 || !response.body) {
    throw new Error(`handler answered ${response.statusCode}: ${response.body?.slice(0, 300)}`);
  }
  const body = JSON.parse(response.body) as {
    predictions: { label: string; score: number }[];
    timings: { decodeMs: number; inferenceMs: number; totalMs: number };
  };
  return {
    e2eMs,
    decodeMs: body.timings.decodeMs,
    inferenceMs: body.timings.inferenceMs,
    routeTotalMs: body.timings.totalMs,
    predictions: body.predictions,
  };
}
