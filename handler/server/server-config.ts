import { availableParallelism, totalmem } from "node:os";
import { z } from "zod";
import { type Config, loadConfig } from "../config.js";
import { FUNCTION_ENV } from "../settings.js";
import { SERVER_DEFAULTS, SERVER_ENV } from "./settings.js";

/** Every setting of the server entry, read once at start (variable names and defaults: settings.ts). */
export interface ServerConfig {
  port: number;
  workers: number;
  /** Requests accepted beyond those the workers run (SERVER_QUEUE_DEPTH). */
  queueDepth: number;
  /** The whole task's memory, shared out between the workers. */
  memoryMb: number;
  drainSeconds: number;
  /** The environment each worker reads its handler Config from (loadConfig): its share of threads and memory. */
  workerEnv: Record<string, string>;
  /** The handler's Config as every worker reads it (the main thread takes MAX_BODY_BYTES and telemetry from it). */
  handlerConfig: Config;
}

/** The server's environment holds a bad setting; the message names every bad variable. */
export class ServerConfigError extends Error {
  override readonly name = "ServerConfigError";
}

const integer = (min: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be an integer of at least ${min}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(Number.MAX_SAFE_INTEGER))
    .optional();

const env = SERVER_ENV;
const serverSchema = z.object({
  [env.port]: integer(0).pipe(z.number().max(65_535, "must be a TCP port (0 to 65535)").optional()),
  [env.workers]: integer(1),
  [env.queueDepth]: integer(0),
  [env.memoryMb]: integer(1),
  [env.drainSeconds]: integer(1),
});

/** The memory the process may use: its cgroup limit (a container's), else the machine's, in MB. */
export function availableMemoryMb(): number {
  const machine = totalmem();
  const limit = process.constrainedMemory();
  const bytes = limit > 0 && limit < machine ? limit : machine;
  return Math.floor(bytes / (1024 * 1024));
}

export interface Machine {
  cpus: number;
  memoryMb: number;
}

/**
 * Reads and validates the server's variables and the handler's (FUNCTION_ENV, as each worker will read them); throws
 * ServerConfigError naming every bad variable of either.
 */
export function loadServerConfig(
  environment: NodeJS.ProcessEnv = process.env,
  machine: Machine = { cpus: availableParallelism(), memoryMb: availableMemoryMb() },
): ServerConfig {
  const problems: string[] = [];
  const parsed = serverSchema.safeParse(environment);
  if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`));
  const settings = parsed.success ? parsed.data : {};

  const workers = settings[env.workers] ?? machine.cpus;
  const memoryMb = settings[env.memoryMb] ?? machine.memoryMb;
  const workerEnv: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) if (value !== undefined) workerEnv[name] = value;
  workerEnv[FUNCTION_ENV.maxBodyBytes] ??= String(SERVER_DEFAULTS.maxBodyBytes);
  workerEnv[FUNCTION_ENV.intraOpThreads] ??= String(Math.max(1, Math.floor(machine.cpus / workers)));
  // The handler sizes its memory budget (memory-budget.ts) from Lambda's variable: here, the worker's share.
  workerEnv.AWS_LAMBDA_FUNCTION_MEMORY_SIZE = String(Math.max(1, Math.floor(memoryMb / workers)));

  let handlerConfig: Config | undefined;
  try {
    handlerConfig = loadConfig(workerEnv);
  } catch (error) {
    problems.push((error as Error).message.replace(/^invalid environment: /, ""));
  }
  if (problems.length > 0 || !handlerConfig) throw new ServerConfigError(`invalid environment: ${problems.join("; ")}`);

  return {
    port: settings[env.port] ?? SERVER_DEFAULTS.port,
    workers,
    queueDepth: settings[env.queueDepth] ?? SERVER_DEFAULTS.queuePerWorker * workers,
    memoryMb,
    drainSeconds: settings[env.drainSeconds] ?? SERVER_DEFAULTS.drainSeconds,
    workerEnv,
    handlerConfig,
  };
}
