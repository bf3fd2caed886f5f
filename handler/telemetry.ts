import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import type { Config } from "./config.js";
import { isClientError } from "./errors.js";

/** Everything worth knowing about one request; logged as one JSON line. Never image data. */
export interface RequestRecord {
  /** The function URL's request id (what clients see in error bodies). */
  requestId: string;
  /** Lambda's invocation id (context.awsRequestId). */
  invocationId: string;
  method: string;
  route: string;
  status: number;
  coldStart: boolean;
  /** Request body size in bytes. */
  bytes: number;
  images?: number;
  /** Original sizes, `WIDTHxHEIGHT`, of the images that decoded. */
  imageSizes?: string[];
  decodeMs?: number;
  inferenceMs?: number;
  totalMs: number;
  top1?: { label: string; score: number };
  /** The request's error code, or undefined when it succeeded. */
  errorCode?: string;
  /** Codes of the images of a batch that failed on their own. */
  imageErrorCodes?: string[];
}

/** The part of a request's record that a route measures (the rest is the handler's). */
export type RouteMeasurements = Partial<
  Pick<RequestRecord, "images" | "imageSizes" | "decodeMs" | "inferenceMs" | "top1" | "imageErrorCodes">
>;

/** Powertools Logger + Metrics (EMF) for the function; one instance per execution environment. */
export class Telemetry {
  readonly logger: Logger;
  readonly metrics: Metrics;

  constructor(config: Pick<Config, "serviceName" | "metricsNamespace" | "logLevel">) {
    this.logger = new Logger({ serviceName: config.serviceName, logLevel: config.logLevel });
    this.metrics = new Metrics({ serviceName: config.serviceName, namespace: config.metricsNamespace });
  }

  /** Logs and measures one finished request. Never throws: telemetry must not turn an answer into a failure. */
  recordRequest(record: RequestRecord, context: Context | undefined): void {
    try {
      if (record.status >= 500) this.logger.error("request", { ...record });
      else this.logger.info("request", { ...record });
      this.emitMetrics(record, context);
    } catch (error) {
      console.error("telemetry failed", error);
    }
  }

  /**
   * A fault the client did not cause, with its stack and `cause`, for the logs only: a bug ("internal error"), or a
   * dependency's failure answered with its own code (e.g. S3_UNAVAILABLE, logged under that code).
   */
  recordFault(error: unknown, requestId: string): void {
    try {
      this.logger.error(isClientError(error) ? error.code : "internal error", { requestId, error: error as Error });
    } catch {
      console.error("internal error", requestId, error);
    }
  }

  private emitMetrics(record: RequestRecord, context: Context | undefined): void {
    this.metrics.captureColdStartMetric(context?.functionName);
    this.metrics.addMetric("Requests", MetricUnit.Count, 1);
    this.metrics.addMetric("RequestLatency", MetricUnit.Milliseconds, record.totalMs);
    if (record.images) {
      this.metrics.addMetric("Images", MetricUnit.Count, record.images);
      if (record.decodeMs !== undefined) this.metrics.addMetric("PreprocessingLatency", MetricUnit.Milliseconds, record.decodeMs);
      if (record.inferenceMs !== undefined) this.metrics.addMetric("InferenceLatency", MetricUnit.Milliseconds, record.inferenceMs);
    }
    this.metrics.publishStoredMetrics();

    const errorCounts = new Map<string, number>();
    if (record.errorCode) errorCounts.set(record.errorCode, 1);
    for (const code of record.imageErrorCodes ?? []) errorCounts.set(code, (errorCounts.get(code) ?? 0) + 1);
    for (const [code, count] of errorCounts) {
      this.metrics.singleMetric().addDimension("ErrorCode", code).addMetric("Errors", MetricUnit.Count, count);
    }
  }
}
