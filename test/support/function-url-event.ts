import type { APIGatewayProxyEventV2, Context } from "aws-lambda";

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

/** Content types a function URL passes as text; every other body arrives base64-encoded. */
export function isTextContentType(contentType: string | undefined): boolean {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  return (
    type.startsWith("text/") ||
    type === "application/json" ||
    type.endsWith("+json") ||
    type === "application/xml" ||
    type.endsWith("+xml") ||
    type === "application/javascript" ||
    type === "application/x-www-form-urlencoded"
  );
}

let requestCounter = 0;

/**
 * The payload v2.0 event a Lambda function URL would send for `request`: lowercased header names, repeated headers and
 * query values comma-joined, cookies split out, a body that is text for text content types and base64 otherwise.
 */
export function functionUrlEvent(request: FunctionUrlRequest): APIGatewayProxyEventV2 {
  const method = (request.method ?? "GET").toUpperCase();
  const target = request.path ?? "/";
  const queryStart = target.indexOf("?");
  const rawPath = queryStart < 0 ? target : target.slice(0, queryStart);
  const rawQueryString = queryStart < 0 ? "" : target.slice(queryStart + 1);

  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    const key = name.toLowerCase();
    const values = typeof value === "string" ? [value] : [...value];
    if (key === "cookie") {
      cookies = [...(cookies ?? []), ...values.flatMap((v) => v.split(";").map((c) => c.trim()))];
      continue;
    }
    headers[key] = headers[key] === undefined ? values.join(",") : `${headers[key]},${values.join(",")}`;
  }

  let queryStringParameters: Record<string, string> | undefined;
  if (rawQueryString) {
    queryStringParameters = {};
    for (const [key, value] of new URLSearchParams(rawQueryString)) {
      queryStringParameters[key] = key in queryStringParameters ? `${queryStringParameters[key]},${value}` : value;
    }
  }

  const requestId = `test-${++requestCounter}-${Date.now().toString(36)}`;
  const now = new Date();
  const event: APIGatewayProxyEventV2 = {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString,
    headers,
    requestContext: {
      accountId: "anonymous",
      apiId: "local0000000000000000000000000000",
      domainName: "local0000000000000000000000000000.lambda-url.us-east-1.on.aws",
      domainPrefix: "local0000000000000000000000000000",
      http: {
        method,
        path: rawPath,
        protocol: "HTTP/1.1",
        sourceIp: request.sourceIp ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId,
      routeKey: "$default",
      stage: "$default",
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: false,
  };
  if (cookies) event.cookies = cookies;
  if (queryStringParameters) event.queryStringParameters = queryStringParameters;
  if (request.body !== undefined && request.body.length > 0) {
    const bytes = typeof request.body === "string" ? Buffer.from(request.body, "utf8") : Buffer.from(request.body);
    if (isTextContentType(headers["content-type"])) {
      event.body = bytes.toString("utf8");
    } else {
      event.body = bytes.toString("base64");
      event.isBase64Encoded = true;
    }
  }
  return event;
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
