import type { ServerResponse } from "node:http";

/** The Runtime API's error body: `{ errorMessage, errorType }`. */
export function replyError(response: ServerResponse, statusCode: number, errorType: string, errorMessage: string): void {
  replyJson(response, statusCode, { errorMessage, errorType });
}

/** What the Runtime API answers to an accepted response, error or init error: 202 `{"status":"OK"}`. */
export function replyAccepted(response: ServerResponse): void {
  replyJson(response, 202, { status: "OK" });
}

function replyJson(response: ServerResponse, statusCode: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}
