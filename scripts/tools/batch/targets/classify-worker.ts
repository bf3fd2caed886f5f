import { parentPort, workerData } from "node:worker_threads";
import { Classifier } from "../../../../handler/classifier.js";

export interface WorkerSettings {
  modelDir: string;
  threads: number;
  maxPixels?: number;
}

export type WorkerRequest = { id: number; bytes: Uint8Array; topK: number };
export type WorkerReply =
  | { id: number; ok: true; predictions: { label: string; score: number }[] }
  | { id: number; ok: false; error: { code: string; message: string } };
export type WorkerReady = { ready: true; model: { name: string; version: string } } | { ready: false; message: string };

const settings = (workerData as { settings: WorkerSettings }).settings;
const port = parentPort!;

try {
  const classifier = await Classifier.load(settings.modelDir, {
    threads: settings.threads,
    warmup: true,
    ...(settings.maxPixels ? { maxPixels: settings.maxPixels } : {}),
  });
  port.on("message", async (request: WorkerRequest) => {
    let reply: WorkerReply;
    try {
      const { results } = await classifier.classify([request.bytes], request.topK);
      const result = results[0]!;
      reply = result.ok
        ? { id: request.id, ok: true, predictions: result.predictions }
        : { id: request.id, ok: false, error: { code: result.error.code, message: result.error.message } };
    } catch (error) {
      reply = { id: request.id, ok: false, error: { code: "INTERNAL_ERROR", message: (error as Error).message } };
    }
    port.postMessage(reply);
  });
  const { name, version } = classifier.manifest;
  port.postMessage({ ready: true, model: { name, version } } satisfies WorkerReady);
} catch (error) {
  port.postMessage({ ready: false, message: (error as Error).message } satisfies WorkerReady);
}
