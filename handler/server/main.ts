import { Logger } from "@aws-lambda-powertools/logger";
import { type AddressInfo, Server as NetServer } from "node:net";
import { createHealthRoute } from "../info-routes.js";
import { Telemetry } from "../telemetry.js";
import { createEntryServer } from "./entry-server.js";
import { loadServerConfig, ServerConfigError, type ServerConfig } from "./server-config.js";
import { WorkerPool } from "./worker-pool.js";

/**
 * The production HTTP entry (server.mjs): worker threads each with their own session, in front of them one bounded
 * queue, GET /health on this thread, and a graceful stop on SIGTERM. `workerUrl` is the worker thread's module.
 */
export async function runServer(workerUrl: URL, environment: NodeJS.ProcessEnv = process.env): Promise<void> {
  let config: ServerConfig;
  try {
    config = loadServerConfig(environment);
  } catch (error) {
    if (!(error instanceof ServerConfigError)) throw error;
    process.stderr.write(`server: ${error.message}\n`);
    process.exit(1);
  }
  const { handlerConfig } = config;
  // Lifecycle lines are written whatever POWERTOOLS_LOG_LEVEL says: tests, the bench and operators wait for them.
  const lifecycle = new Logger({ serviceName: handlerConfig.serviceName, logLevel: "INFO" });
  const telemetry = new Telemetry(handlerConfig);

  const pool = new WorkerPool(config.workers, workerUrl, { env: config.workerEnv }, (event) => {
    if (event.kind === "worker-crashed") lifecycle.error("worker crashed", { ...event, error: event.error });
    else lifecycle.info("worker replaced", { worker: event.worker });
  });
  let manifest;
  try {
    manifest = await pool.start();
  } catch (error) {
    lifecycle.error("initialisation failed", { error: error as Error });
    process.exit(1);
  }

  const healthRoute = createHealthRoute({ manifest }, environment.AWS_LAMBDA_INITIALIZATION_TYPE ?? "server");
  const entry = createEntryServer({
    pool,
    queueDepth: config.queueDepth,
    maxBodyBytes: handlerConfig.maxBodyBytes,
    health: () => healthRoute({ coldStart: false }),
    telemetry,
  });
  const { server } = entry;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  lifecycle.info("listening", {
    port,
    workers: config.workers,
    threadsPerWorker: handlerConfig.intraOpThreads,
    queueDepth: config.queueDepth,
    maxBodyBytes: handlerConfig.maxBodyBytes,
    memoryMb: config.memoryMb,
    workerMemoryMb: handlerConfig.memoryMb,
  });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    const startedAt = performance.now();
    const cutOff = setTimeout(() => {
      lifecycle.error("drain cut off", {
        drainSeconds: config.drainSeconds,
        running: pool.running.map((job) => job.requestId),
        queued: pool.queued.map((job) => job.requestId),
        admitted: entry.admitted,
      });
      process.exit(1);
    }, config.drainSeconds * 1000);
    // No new connections. Not http.Server#close: it also closes idle keep-alive connections at once, and a request
    // already on its way over one would be lost. Each answer from now on closes its connection instead.
    const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
    // Logged once the listener is closed: whoever reads it can rely on new connections being refused.
    lifecycle.info("draining", { signal, running: pool.running.length, queued: pool.queued.length, admitted: entry.admitted });
    await entry.drain();
    server.closeIdleConnections();
    await closed;
    await pool.stop();
    clearTimeout(cutOff);
    lifecycle.info("stopped", { signal, drainMs: Math.round(performance.now() - startedAt) });
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}
