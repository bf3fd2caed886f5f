/** What a runtime posts to `…/invocation/{id}/error` and `…/init/error`. */
export interface RuntimeError {
  errorType: string;
  errorMessage: string;
  stackTrace: string[];
}

const asStrings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((line): line is string => typeof line === "string") : [];

/**
 * The error type is the `Lambda-Runtime-Function-Error-Type` header when the runtime sends one, else the body's
 * `errorType`; the body is `{ errorMessage, errorType, stackTrace }` (AWS's runtime interface client sends the stack as
 * `trace`). A body that is not that JSON is kept as the message, as Lambda does.
 */
export function parseRuntimeError(body: Buffer, errorTypeHeader: string | undefined): RuntimeError {
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(body.toString("utf8"));
    if (value !== null && typeof value === "object" && !Array.isArray(value)) parsed = value as Record<string, unknown>;
  } catch {
    parsed = { errorMessage: body.toString("utf8") };
  }
  const bodyType = typeof parsed.errorType === "string" ? parsed.errorType : undefined;
  return {
    errorType: errorTypeHeader || bodyType || "Runtime.Unknown",
    errorMessage: typeof parsed.errorMessage === "string" ? parsed.errorMessage : "",
    stackTrace: asStrings(parsed.stackTrace ?? parsed.trace),
  };
}
