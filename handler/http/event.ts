import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { encodeEventBody } from "./body-types.js";

/** What the server knows about one HTTP request once its body has been read. */
export interface ReceivedRequest {
  method: string;
  /** The request target as sent: path plus optional `?query`. */
  target: string;
  httpVersion: string;
  /** Lowercased names, every value in arrival order (Node's `headersDistinct`). */
  headers: Record<string, string[] | undefined>;
  sourceIp: string;
  localPort: number;
  body?: Uint8Array;
}

/** What node:http knows of a request, in the form the event builder takes (the body comes separately). */
export function receivedRequestOf(request: IncomingMessage): Omit<ReceivedRequest, "body"> {
  return {
    method: request.method ?? "GET",
    target: request.url ?? "/",
    httpVersion: request.httpVersion,
    headers: request.headersDistinct,
    sourceIp: (request.socket.remoteAddress ?? "127.0.0.1").replace(/^::ffff:/, ""),
    localPort: request.socket.localPort ?? 0,
  };
}

export interface InvocationIdentity {
  requestId: string;
  receivedAt: Date;
  /** Stands in for the `<url-id>` of `https://<url-id>.lambda-url.<region>.on.aws`. */
  urlId: string;
}

// A function URL does not forward connection-level headers to the function.
const hopByHopHeaders = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "expect"]);

const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** `12/Mar/2020:19:03:58 +0000`, the format of `requestContext.time`. */
export function formatRequestTime(date: Date): string {
  return (
    `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

function traceId(date: Date): string {
  const epochSeconds = Math.floor(date.getTime() / 1000).toString(16).padStart(8, "0");
  return `Root=1-${epochSeconds}-${randomBytes(12).toString("hex")}`;
}

/** Splits `a=1; b=2` Cookie headers into the event's `cookies` array. */
function splitCookies(values: string[]): string[] {
  return values.flatMap((value) => value.split(";")).map((cookie) => cookie.trim()).filter((cookie) => cookie !== "");
}

/** Repeated query keys are joined by commas, as in payload format 2.0. */
function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === "") return undefined;
  const grouped = new Map<string, string[]>();
  for (const [key, value] of new URLSearchParams(rawQueryString)) {
    const values = grouped.get(key) ?? [];
    values.push(value);
    grouped.set(key, values);
  }
  if (grouped.size === 0) return undefined;
  return Object.fromEntries([...grouped].map(([key, values]) => [key, values.join(",")]));
}

/** Builds the payload format 2.0 event a Lambda function URL sends for this request. */
export function buildFunctionUrlEvent(request: ReceivedRequest, identity: InvocationIdentity): APIGatewayProxyEventV2 {
  const queryStart = request.target.indexOf("?");
  const rawPath = queryStart === -1 ? request.target : request.target.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? "" : request.target.slice(queryStart + 1);

  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, values] of Object.entries(request.headers)) {
    if (values === undefined || hopByHopHeaders.has(name)) continue;
    if (name === "cookie") {
      cookies = splitCookies(values);
      continue;
    }
    headers[name] = values.join(",");
  }
  const forwardedFor = headers["x-forwarded-for"];
  headers["x-forwarded-for"] = forwardedFor ? `${forwardedFor}, ${request.sourceIp}` : request.sourceIp;
  headers["x-forwarded-proto"] = "http";
  headers["x-forwarded-port"] = String(request.localPort);
  headers["x-amzn-trace-id"] ??= traceId(identity.receivedAt);

  const queryStringParameters = queryParameters(rawQueryString);
  const host = headers["host"] ?? `127.0.0.1:${request.localPort}`;

  const event: APIGatewayProxyEventV2 = {
    version: "2.0",
    routeKey: "$default",
    rawPath,
    rawQueryString,
    ...(cookies && cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: "anonymous",
      apiId: identity.urlId,
      domainName: host,
      domainPrefix: identity.urlId,
      http: {
        method: request.method,
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.sourceIp,
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: identity.requestId,
      routeKey: "$default",
      stage: "$default",
      time: formatRequestTime(identity.receivedAt),
      timeEpoch: identity.receivedAt.getTime(),
    },
    isBase64Encoded: false,
  };
  if (request.body && request.body.byteLength > 0) {
    Object.assign(event, encodeEventBody(request.body, headers["content-type"]));
  }
  return event;
}
