import { SERVER_DEFAULTS, SERVER_ENV } from "../../handler/server/settings.js";
import { FUNCTION_ENV } from "../../handler/settings.js";
import { DRAIN_MARGIN_SECONDS, type FargateConfig, serverMemoryMbOf, workersOf } from "./fargate-config.js";

/** The server's own variables for a task of this size (names: handler/server/settings.ts). */
export function serverEnvironment(fargate: FargateConfig): Record<string, string> {
  const workers = workersOf(fargate);
  return {
    [SERVER_ENV.port]: String(SERVER_DEFAULTS.port),
    [SERVER_ENV.workers]: String(workers),
    [SERVER_ENV.memoryMb]: String(serverMemoryMbOf(fargate)),
    [SERVER_ENV.drainSeconds]: String(fargate.stopTimeoutSeconds - DRAIN_MARGIN_SECONDS),
    [FUNCTION_ENV.maxBodyBytes]: String(fargate.maxBodyBytes),
    // Per worker: the Lambda value follows the function's memory, not the task's vCPUs.
    [FUNCTION_ENV.intraOpThreads]: String(Math.max(1, Math.floor(fargate.cpu / 1024 / workers))),
  };
}

/**
 * The container's environment: the function's (`functionEnvironment`: limits, allowlist, Powertools) with the server's
 * variables over it.
 */
export function taskEnvironment(functionEnvironment: Record<string, string>, fargate: FargateConfig): Record<string, string> {
  return { ...functionEnvironment, ...serverEnvironment(fargate) };
}
