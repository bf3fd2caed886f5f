import { randomBytes } from "node:crypto";

/** One invocation as the Runtime API hands it to the runtime on `GET …/invocation/next`. */
export interface RuntimeInvocation {
  requestId: string;
  /** The event, JSON text: the body of the `next` answer. */
  eventPayload: string;
  /** Epoch milliseconds at which the invocation times out. */
  deadlineMs: number;
  invokedFunctionArn: string;
  traceId: string;
  /** JSON text, for invocations that carry one (mobile SDK clients). */
  clientContext?: string;
  /** JSON text, for invocations made with Cognito credentials. */
  cognitoIdentity?: string;
}

/** An X-Ray trace header for one invocation, in the `Root=1-<epoch hex>-<24 hex>;Parent=…;Sampled=0` form. */
export function newTraceId(now = Date.now()): string {
  const epoch = Math.floor(now / 1000).toString(16).padStart(8, "0");
  return `Root=1-${epoch}-${randomBytes(12).toString("hex")};Parent=${randomBytes(8).toString("hex")};Sampled=0`;
}

/** The headers of the `next` answer that describe the invocation. */
export function invocationHeaders(invocation: RuntimeInvocation): Record<string, string> {
  const headers: Record<string, string> = {
    "Lambda-Runtime-Aws-Request-Id": invocation.requestId,
    "Lambda-Runtime-Deadline-Ms": String(invocation.deadlineMs),
    "Lambda-Runtime-Invoked-Function-Arn": invocation.invokedFunctionArn,
    "Lambda-Runtime-Trace-Id": invocation.traceId,
  };
  if (invocation.clientContext !== undefined) headers["Lambda-Runtime-Client-Context"] = invocation.clientContext;
  if (invocation.cognitoIdentity !== undefined) headers["Lambda-Runtime-Cognito-Identity"] = invocation.cognitoIdentity;
  return headers;
}
