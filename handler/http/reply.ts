/** An HTTP response ready to write: header pairs (repeatable, e.g. set-cookie) and the body bytes. */
export interface HttpReply {
  statusCode: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

const json = "application/json";

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function isValidStatus(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 100 && value <= 599;
}

/**
 * Maps the function's result to HTTP the way a function URL does (payload format 2.0): an object with `statusCode`
 * is a structured response; any other JSON value is a 200 `application/json` body (a string result is sent as the
 * string itself, anything else as `payload`, its serialised form). Returns undefined for a result a function URL
 * rejects with 502 (a bad status code).
 */
export function replyFromResult(result: unknown, requestId: string, payload?: string): HttpReply | undefined {
  const base: Array<[string, string]> = [["x-amzn-requestid", requestId]];

  if (!isRecord(result) || !("statusCode" in result)) {
    const body = typeof result === "string" ? result : (payload ?? JSON.stringify(result));
    return { statusCode: 200, headers: [["content-type", json], ...base], body: Buffer.from(body) };
  }

  if (!isValidStatus(result.statusCode)) return undefined;
  const headers: Array<[string, string]> = [];
  if (isRecord(result.headers)) {
    for (const [name, value] of Object.entries(result.headers)) {
      if (value !== undefined && value !== null) headers.push([name, String(value)]);
    }
  }
  if (!headers.some(([name]) => name.toLowerCase() === "content-type")) headers.unshift(["content-type", json]);
  if (Array.isArray(result.cookies)) {
    for (const cookie of result.cookies) headers.push(["set-cookie", String(cookie)]);
  }

  let body: Buffer;
  if (result.body === undefined || result.body === null) body = Buffer.alloc(0);
  else if (typeof result.body !== "string") body = Buffer.from(JSON.stringify(result.body));
  else body = result.isBase64Encoded === true ? Buffer.from(result.body, "base64") : Buffer.from(result.body);

  return { statusCode: result.statusCode, headers: [...headers, ...base], body };
}

/** replyFromResult for the function's serialised result (what the Lambda runtime API carries). */
export function replyFromResultPayload(payload: string, requestId: string): HttpReply | undefined {
  return replyFromResult(JSON.parse(payload) as unknown, requestId, payload);
}
