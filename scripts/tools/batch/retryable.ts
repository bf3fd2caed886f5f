const RETRYABLE_NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
]);

function* causeChain(error: unknown): Generator<{ name?: string; code?: string; message?: string }> {
  for (let current = error, depth = 0; current && typeof current === "object" && depth < 8; depth++) {
    yield current as { name?: string; code?: string; message?: string };
    current = (current as { cause?: unknown }).cause;
  }
}

/** A connection-level failure worth retrying: reset, refused, socket hang up, timeout (fetch and node:http alike). */
export function isRetryableNetworkError(error: unknown): boolean {
  for (const link of causeChain(error)) {
    if (link.code && RETRYABLE_NETWORK_CODES.has(link.code)) return true;
    if (link.name === "TimeoutError") return true;
    if (link.message === "socket hang up" || link.message === "other side closed" || link.message === "terminated") return true;
  }
  return false;
}

export function isTimeout(error: unknown): boolean {
  for (const link of causeChain(error)) if (link.name === "TimeoutError" || link.code?.includes("TIMEOUT")) return true;
  return false;
}

/** The error an AWS SDK call ended with (its own retries spent), as a batch error code and message. */
export function describeS3Error(error: unknown): { code: string; message: string } {
  const name = (error as { name?: string }).name ?? "Error";
  const message = (error as { message?: string }).message ?? String(error);
  if (name === "NoSuchKey" || name === "NotFound") return { code: "S3_OBJECT_NOT_FOUND", message: "the object no longer exists" };
  if (name === "PreconditionFailed") return { code: "S3_OBJECT_CHANGED", message: "the object changed after it was listed" };
  if (name === "AccessDenied") return { code: "S3_ACCESS_DENIED", message };
  return { code: "S3_UNAVAILABLE", message: `${name}: ${message}` };
}
