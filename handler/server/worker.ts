import { parentPort, workerData } from "node:worker_threads";
import { createHandler } from "../app.js";
import { loadConfig } from "../config.js";
import { buildFunctionUrlEvent } from "../http/event.js";
import { initialise } from "../initialise.js";
import type { FromWorker, RequestMessage, ToWorker, WorkerSetup } from "./protocol.js";

/**
 * One worker thread of the server entry: one Classifier (its own ONNX Runtime session) and the function URL handler
 * of app.ts, unchanged; each request arrives as the HTTP request's parts and runs as the payload 2.0 event a function
 * URL would send.
 */
const port = parentPort!;
const send = (message: FromWorker) => port.postMessage(message);
const { env } = workerData as WorkerSetup;

const startedAt = performance.now();
const config = loadConfig(env);
const { telemetry, classifier, resolveSource } = await initialise(config, startedAt);
const handler = createHandler({ config, classifier, telemetry, resolveSource, initializationType: env.AWS_LAMBDA_INITIALIZATION_TYPE ?? "server" });

async function answer({ id, request, identity, body }: RequestMessage): Promise<void> {
  const event = buildFunctionUrlEvent(
    { ...request, body: new Uint8Array(body) },
    { requestId: identity.requestId, urlId: identity.urlId, receivedAt: new Date(identity.receivedAtMs) },
  );
  send({ type: "response", id, response: await handler(event) });
}

port.on("message", (message: ToWorker) => {
  if (message.type === "stop") port.close();
  // The handler answers every event (its faults too); a rejection here is a bug that must end the thread.
  else void answer(message).catch((error: unknown) => setImmediate(() => { throw error; }));
});
send({ type: "ready", manifest: classifier.manifest });
