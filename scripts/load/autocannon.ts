import { createRequire } from "node:module";

// The parts of autocannon 9's API the load test uses (the package ships no types).
export interface LatencyStats {
  average: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  resets: number;
  mismatches: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  latency: LatencyStats & { totalCount: number };
  requests: { average: number; total: number; sent: number };
}

export interface AutocannonRequest {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}

export interface AutocannonOptions {
  url: string;
  connections: number;
  amount: number;
  /** Seconds before one request counts as a timeout. */
  timeout: number;
  requests: AutocannonRequest[];
}

export interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  stop(): void;
  on(event: "response", listener: () => void): void;
}

export const autocannon = createRequire(import.meta.url)("autocannon") as (options: AutocannonOptions) => AutocannonInstance;
