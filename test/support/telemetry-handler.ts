import { createHandler, type FunctionUrlHandler } from "../../handler/app.js";
import { Classifier } from "../../handler/classifier.js";
import { type Config, loadConfig } from "../../handler/config.js";
import { Telemetry } from "../../handler/telemetry.js";

/**
 * A handler on the default model whose logs and EMF metrics are switched on (vitest.config.ts silences them),
 * for suites that read what the function writes. `close()` switches metrics off again and releases the session.
 */
export async function handlerWithTelemetry(
  environment: Record<string, string>,
): Promise<{ handler: FunctionUrlHandler; config: Config; classifier: Classifier; close: () => Promise<void> }> {
  const config = loadConfig({ ...process.env, MODEL_DIR: undefined, ...environment });
  process.env.POWERTOOLS_METRICS_DISABLED = "false";
  const classifier = await Classifier.load(config.modelDir, { threads: 1, warmup: false });
  const handler = createHandler({ config, classifier, telemetry: new Telemetry(config) });
  return {
    handler,
    config,
    classifier,
    close: async () => {
      process.env.POWERTOOLS_METRICS_DISABLED = "true";
      await classifier.dispose();
    },
  };
}

/** Everything written to `streams` while `action` runs; nothing reaches the real streams meanwhile. */
export async function capturedWrites(
  streams: readonly NodeJS.WriteStream[],
  action: () => Promise<unknown>,
): Promise<string> {
  const written: string[] = [];
  const originals = streams.map((stream) => stream.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      written.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      return true;
    }) as typeof stream.write;
  }
  try {
    await action();
  } finally {
    streams.forEach((stream, i) => (stream.write = originals[i]!));
  }
  return written.join("");
}
