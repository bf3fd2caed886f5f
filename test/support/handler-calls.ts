import type { FunctionUrlHandler } from "../../handler/app.js";
import { type FunctionUrlRequest, functionUrlEvent, lambdaContext } from "./function-url-event.js";

export interface CallResult {
  status: number;
  headers: Record<string, string>;
  json: any;
  requestId: string;
}

/** Calls a handler with the event a function URL would build for `request`, and parses the JSON answer. */
export async function callHandler(handler: FunctionUrlHandler, request: FunctionUrlRequest): Promise<CallResult> {
  const event = functionUrlEvent(request);
  const response = await handler(event, lambdaContext());
  return {
    status: response.statusCode,
    headers: response.headers,
    json: JSON.parse(response.body),
    requestId: event.requestContext.requestId,
  };
}

export const postImage = (handler: FunctionUrlHandler, body: Uint8Array | string, contentType: string, path = "/classify") =>
  callHandler(handler, { method: "POST", path, headers: { "content-type": contentType }, body });

export const postJson = (handler: FunctionUrlHandler, value: unknown, path = "/classify") =>
  callHandler(handler, { method: "POST", path, headers: { "content-type": "application/json" }, body: JSON.stringify(value) });
