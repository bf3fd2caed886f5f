/** What an event is, by its shape alone. */
export type EventKind = "function-url" | "batch-operations" | "distributed-map" | "plain";

/** Keys named in an UnrecognisedEventError, at most. */
const NAMED_KEYS = 10;

/** The event has none of the shapes the function answers; an invocation error (Lambda reports it), not a crash. */
export class UnrecognisedEventError extends Error {
  override readonly name = "UnrecognisedEventError";
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A function URL's payload v2.0 event: the URL handler's path, checked first and cheaply. */
export function isFunctionUrlEvent(event: unknown): boolean {
  return isRecord(event) && isRecord(event.requestContext) && event.requestContext.http !== undefined;
}

/** The kind of `event`, or UnrecognisedEventError naming the keys it has. */
export function recogniseEvent(event: unknown): EventKind {
  if (isFunctionUrlEvent(event)) return "function-url";
  if (!isRecord(event)) {
    const seen = event === null ? "null" : Array.isArray(event) ? "an array" : `a ${typeof event}`;
    throw new UnrecognisedEventError(`unrecognised event: expected a JSON object, got ${seen}`);
  }
  if (event.invocationSchemaVersion !== undefined && "tasks" in event) return "batch-operations";
  if (Array.isArray(event.Items)) return "distributed-map";
  if ("s3" in event || "images" in event || "image" in event) return "plain";
  throw new UnrecognisedEventError(`unrecognised event with keys ${describeKeys(Object.keys(event))}: ${EXPECTED}`);
}

const EXPECTED =
  "expected a function URL request, an S3 Batch Operations task (invocationSchemaVersion, tasks), a Distributed Map " +
  'batch (Items, BatchInput) or {"s3": …} / {"images": […]}';

function describeKeys(keys: readonly string[]): string {
  if (keys.length === 0) return "none";
  const named = keys.slice(0, NAMED_KEYS).map((key) => JSON.stringify(key.slice(0, 40)));
  return named.join(", ") + (keys.length > NAMED_KEYS ? ` and ${keys.length - NAMED_KEYS} more` : "");
}
