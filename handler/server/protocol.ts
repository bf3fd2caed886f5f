import type { InvocationIdentity, ReceivedRequest } from "../http/event.js";
import type { Manifest } from "../manifest.js";
import type { HttpResponse } from "../response.js";

/** What the main thread gives a worker thread when it starts it (workerData). */
export interface WorkerSetup {
  /** The environment the worker reads its Config from (server-config.ts: its share of threads and memory). */
  env: Record<string, string>;
}

/** One HTTP request for the worker: its body travels as a transferred ArrayBuffer (moved, not copied). */
export interface RequestMessage {
  type: "request";
  id: number;
  request: Omit<ReceivedRequest, "body">;
  identity: Omit<InvocationIdentity, "receivedAt"> & { receivedAtMs: number };
  body: ArrayBuffer;
}

/** Asks an idle worker to finish: it closes its port and its thread ends once its output is flushed. */
export interface StopMessage {
  type: "stop";
}

export type ToWorker = RequestMessage | StopMessage;

export interface ReadyMessage {
  type: "ready";
  manifest: Manifest;
}

export interface ResponseMessage {
  type: "response";
  id: number;
  response: HttpResponse;
}

export type FromWorker = ReadyMessage | ResponseMessage;
