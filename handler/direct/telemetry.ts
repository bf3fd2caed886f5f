import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import type { Telemetry } from "../telemetry.js";
import type { EventKind } from "./recognise.js";

/** One direct invocation, logged as one JSON line. Never image data, never keys. */
export interface DirectInvocationRecord {
  invocationId: string;
  kind: EventKind | "unrecognised";
  items: number;
  ok: number;
  /** Items that failed on their own, TIMEOUT excluded. */
  failed: number;
  timedOut: number;
  /** How many items failed with each code (TIMEOUT included). */
  itemErrorCodes?: Record<string, number>;
  totalMs: number;
  /** Set when the invocation itself failed (malformed or unrecognised event, a bug). */
  errorName?: string;
  errorMessage?: string;
}

/** Logs and measures one direct invocation. Never throws: telemetry must not turn an answer into a failure. */
export function recordDirectInvocation(telemetry: Telemetry, record: DirectInvocationRecord, context: Context | undefined): void {
  try {
    if (record.errorName) telemetry.logger.error("direct invocation", { ...record });
    else telemetry.logger.info("direct invocation", { ...record });
    const { metrics } = telemetry;
    metrics.captureColdStartMetric(context?.functionName);
    metrics.addMetric("DirectInvocations", MetricUnit.Count, 1);
    metrics.addMetric("DirectInvocationLatency", MetricUnit.Milliseconds, record.totalMs);
    if (record.items) {
      metrics.addMetric("Images", MetricUnit.Count, record.items);
      metrics.addMetric("ImagesFailed", MetricUnit.Count, record.failed);
      metrics.addMetric("ImagesTimedOut", MetricUnit.Count, record.timedOut);
    }
    metrics.publishStoredMetrics();
  } catch (error) {
    console.error("telemetry failed", error);
  }
}
