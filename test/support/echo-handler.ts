/**
 * A real Lambda handler module for exercising the local function URL: it answers with the event and
 * context it received, as JSON. Query parameters change its behaviour:
 *   delay=MS       wait before answering          crash=exit|throw|uncaught   fail in one of three ways
 *   shape=string|object|binary                     answer with a non-structured or base64 result
 *   bytes=N        answer with an N-byte body     cookie=VALUE                 return a cookie
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";

// Initialisation at module load, like the real handler.
const initialisedAt = Date.now();
await new Promise((resolve) => setTimeout(resolve, 20));
let invocations = 0;

export async function handler(
  event: APIGatewayProxyEventV2,
  context: Context,
): Promise<APIGatewayProxyStructuredResultV2 | string | Record<string, unknown>> {
  invocations += 1;
  const query = event.queryStringParameters ?? {};
  const startedAt = Date.now();
  if (query.delay) await waitAtLeast(Number(query.delay));

  if (query.crash === "exit") process.exit(3);
  if (query.crash === "throw") throw new Error("handler failed on purpose");
  if (query.crash === "uncaught") setTimeout(() => { throw new Error("uncaught on purpose"); }, 0);
  if (query.crash === "uncaught") await new Promise((resolve) => setTimeout(resolve, 1_000));

  if (query.shape === "string") return "plain string result";
  if (query.shape === "object") return { plain: "object", pid: process.pid };
  if (query.shape === "binary") {
    return { statusCode: 200, headers: { "content-type": "application/octet-stream" }, body: Buffer.from([0, 1, 2, 255]).toString("base64"), isBase64Encoded: true };
  }
  if (query.bytes) return { statusCode: 200, headers: { "content-type": "text/plain" }, body: "x".repeat(Number(query.bytes)) };

  return {
    statusCode: Number(query.status ?? 200),
    headers: { "content-type": "application/json", "x-echo": "yes" },
    ...(query.cookie ? { cookies: [`a=${query.cookie}; Path=/`, "b=2; HttpOnly"] } : {}),
    body: JSON.stringify({
      event,
      context: {
        awsRequestId: context.awsRequestId,
        functionName: context.functionName,
        functionVersion: context.functionVersion,
        memoryLimitInMB: context.memoryLimitInMB,
        invokedFunctionArn: context.invokedFunctionArn,
        remainingTimeMs: context.getRemainingTimeInMillis(),
      },
      environment: { pid: process.pid, initialisationType: process.env.AWS_LAMBDA_INITIALIZATION_TYPE, initialisedAt, invocations },
      timing: { startedAt, endedAt: Date.now() },
    }),
  };
}

/** Node's timers may fire up to a millisecond before performance.now() says the time has passed: wait it out. */
async function waitAtLeast(ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.ceil(until - performance.now()))));
  }
}
