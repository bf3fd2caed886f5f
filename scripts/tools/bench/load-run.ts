import { autocannon } from "../../shared/autocannon.js";

/** What autocannon measured of one server under one load. */
export interface LoadRun {
  durationS: number;
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  errors: number;
  non2xx: number;
}

export interface LoadOptions {
  /** The server's base URL; the load POSTs to `/classify`. */
  url: string;
  body: Buffer;
  contentType: string;
  connections: number;
  durationS: number;
}

/** `connections` clients POSTing `body` for `durationS` seconds, after a 1 s warm-up that keeps one-off costs out. */
export async function measureLoad(options: LoadOptions): Promise<LoadRun> {
  const request = {
    url: `${options.url}/classify`,
    connections: options.connections,
    method: "POST" as const,
    headers: { "content-type": options.contentType },
    body: options.body,
  };
  await autocannon({ ...request, duration: 1 });
  const result = await autocannon({ ...request, duration: options.durationS, timeout: 30 });
  return {
    durationS: result.duration,
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
