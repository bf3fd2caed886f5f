import { percentile } from "../../shared/stats.js";

/** Counts and latencies of a run, for the progress display and the final summary. */
export class RunStats {
  ok = 0;
  readonly errorsByCode = new Map<string, number>();
  private readonly latencies: number[] = [];
  private readonly startedAt = performance.now();

  get errors(): number {
    let total = 0;
    for (const count of this.errorsByCode.values()) total += count;
    return total;
  }

  get done(): number {
    return this.ok + this.errors;
  }

  get elapsedSeconds(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  get imagesPerSecond(): number {
    return this.done / Math.max(this.elapsedSeconds, 1e-3);
  }

  record(errorCode: string | undefined, latencyMs: number): void {
    if (errorCode) this.errorsByCode.set(errorCode, (this.errorsByCode.get(errorCode) ?? 0) + 1);
    else this.ok++;
    this.latencies.push(latencyMs);
  }

  /** Nearest-rank percentile of the per-image latency, in ms (NaN before the first image). */
  percentile(p: number): number {
    return percentile([...this.latencies].sort((a, b) => a - b), p);
  }
}
