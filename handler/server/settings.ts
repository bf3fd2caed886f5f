/**
 * The production HTTP entry's own environment variables (server.mjs: the same image on ECS Fargate or any container
 * host) and their defaults: the one place each is written. The handler's variables (FUNCTION_ENV, ../settings.ts)
 * apply too; MAX_BODY_BYTES has a larger default here, since no 6 MB invoke payload limit stands in front of it.
 * infra/fargate/ sets these; the README documents them.
 */
export const SERVER_ENV = {
  /** TCP port to listen on (all interfaces: the load balancer reaches the task on its own address). */
  port: "PORT",
  /** Worker threads, each with its own ONNX Runtime session (default: the CPUs available to the process). */
  workers: "SERVER_WORKERS",
  /** Requests accepted beyond those the workers are running; more get 429 (default: SERVER_DEFAULTS.queuePerWorker × workers). */
  queueDepth: "SERVER_QUEUE_DEPTH",
  /** The task's memory in MB, shared out between the workers' memory budgets (default: the cgroup limit, else the machine's). */
  memoryMb: "SERVER_MEMORY_MB",
  /** After SIGTERM, how long accepted requests may take to finish before the process exits anyway. */
  drainSeconds: "SERVER_DRAIN_SECONDS",
} as const;

export const SERVER_DEFAULTS = {
  port: 8080,
  /** MAX_BODY_BYTES when the server runs the handler: 32 MiB (Lambda's is 6 MB). */
  maxBodyBytes: 32 * 1024 * 1024,
  queuePerWorker: 8,
  /** Below ECS's default stopTimeout (30 s), so the process exits on its own before SIGKILL. */
  drainSeconds: 25,
  /**
   * Longer than an Application Load Balancer's default idle timeout (60 s): the load balancer, not the server, closes
   * idle keep-alive connections, so it never sends a request on a socket the server is closing (a 502).
   */
  keepAliveTimeoutMs: 65_000,
} as const;
