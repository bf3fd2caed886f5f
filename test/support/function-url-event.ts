import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { buildFunctionUrlEvent } from "../../handler/http/event.js";

/** An HTTP request as a client sends it, before a function URL turns it into an event. */
export interface FunctionUrlRequest {
  method?: string;
  /** Path with an optional query string, e.g. "/classify?top_k=3". */
  path?: string;
  /** Header values; arrays are repeated headers. Names in any case. */
  headers?: Record<string, string | readonly string[]>;
  body?: Uint8Array | string;
  sourceIp?: string;
}

let requestCounter = 0;

/**
 * The payload v2.0 event a Lambda function URL would send for `request`, built by the local server's own event
 * builder, so handler tests and `npm start` see the same event shape (header joining, cookies, text or base64 body).
 */
export function functionUrlEvent(request: FunctionUrlRequest): APIGatewayProxyEventV2 {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    const key = name.toLowerCase();
    headers[key] = [...(headers[key] ?? []), ...(typeof value === "string" ? [value] : value)];
  }
  const body = typeof request.body === "string" ? Buffer.from(request.body, "utf8") : request.body;
  return buildFunctionUrlEvent(
    {
      method: (request.method ?? "GET").toUpperCase(),
      target: request.path ?? "/",
      httpVersion: "1.1",
      headers,
      sourceIp: request.sourceIp ?? "127.0.0.1",
      localPort: 0,
      ...(body === undefined ? {} : { body }),
    },
    { requestId: `test-${++requestCounter}-${Date.now().toString(36)}`, receivedAt: new Date(), urlId: "local0000000000000000000000000000" },
  );
}

/** A Lambda context with the fields the handler reads. */
export function lambdaContext(requestId = `ctx-${++requestCounter}`): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "image-classifier-test",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:image-classifier-test",
    memoryLimitInMB: "2048",
    awsRequestId: requestId,
    logGroupName: "/aws/lambda/image-classifier-test",
    logStreamName: "local",
    getRemainingTimeInMillis: () => 30_000,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
