import { LAMBDA_PAYLOAD_LIMIT_BYTES } from "../settings.js";

/**
 * Room left in the 6 MB invoke payload for everything but the body: the request's headers (a browser sends 1–2 kB),
 * the request context and the event's JSON framing.
 */
export const EVENT_ENVELOPE_BYTES = 16 * 1024;

/**
 * The largest request body a function URL can pass on. A binary body (an image, a multipart form) travels
 * base64-encoded inside the event, 4 bytes for every 3, so about 4.7 MB of a 6 MB payload.
 */
export const FUNCTION_URL_BODY_LIMIT_BYTES = Math.floor((LAMBDA_PAYLOAD_LIMIT_BYTES - EVENT_ENVELOPE_BYTES) / 4) * 3;

/** The most bytes the page sends in one request: what both the function URL and the handler's MAX_BODY_BYTES accept. */
export function browserRequestLimitBytes(maxBodyBytes: number): number {
  return Math.min(maxBodyBytes, FUNCTION_URL_BODY_LIMIT_BYTES);
}
