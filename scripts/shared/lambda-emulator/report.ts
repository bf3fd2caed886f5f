/** One invocation's numbers, as Lambda prints them in its REPORT log line. */
export interface InvocationReport {
  requestId: string;
  durationMs: number;
  memorySizeMB: number;
  maxMemoryUsedMB: number;
  /** Present on an execution environment's first invocation (a cold start). */
  initDurationMs?: number;
  /** Set when the invocation did not complete: Lambda adds `Status: timeout` or `Status: error`. */
  failure?: { status: "error" | "timeout"; errorType?: string };
}

/**
 * Billed duration rounds up to the next millisecond. Lambda bills the init phase of a container-image
 * function too, so a cold start's billed duration includes its init duration.
 */
export function billedDurationMs(report: Pick<InvocationReport, "durationMs" | "initDurationMs">): number {
  return Math.ceil(report.durationMs + (report.initDurationMs ?? 0));
}

/** `REPORT RequestId: …\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 2048 MB\tMax Memory Used: 180 MB` */
export function formatReportLine(report: InvocationReport): string {
  const fields = [
    `REPORT RequestId: ${report.requestId}`,
    `Duration: ${report.durationMs.toFixed(2)} ms`,
    `Billed Duration: ${billedDurationMs(report)} ms`,
    `Memory Size: ${report.memorySizeMB} MB`,
    `Max Memory Used: ${report.maxMemoryUsedMB} MB`,
  ];
  if (report.initDurationMs !== undefined) fields.push(`Init Duration: ${report.initDurationMs.toFixed(2)} ms`);
  if (report.failure) {
    fields.push(`Status: ${report.failure.status}`);
    if (report.failure.errorType) fields.push(`Error Type: ${report.failure.errorType}`);
  }
  return fields.join("\t");
}
