import cliProgress from "cli-progress";
import type { RunStats } from "./stats.js";

export interface Progress {
  update(): void;
  stop(): void;
}

const formatEta = (seconds: number) =>
  !Number.isFinite(seconds) ? "?" : seconds >= 3600 ? `${(seconds / 3600).toFixed(1)}h` : seconds >= 60 ? `${Math.floor(seconds / 60)}m${Math.round(seconds % 60)}s` : `${Math.round(seconds)}s`;

/** A progress bar on a terminal; elsewhere (CI, pipes, logs) a plain line every `intervalMs`. */
export function createProgress(
  stats: Pick<RunStats, "done" | "errors" | "imagesPerSecond">,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
  intervalMs = Number(process.env.BATCH_PROGRESS_INTERVAL_MS) || 5_000,
): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: "{bar} {value}/{total} | {rate} img/s | ETA {eta_formatted} | errors {errors}",
        etaBuffer: 50,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: "0.0", errors: 0 });
    return {
      update: () => bar.update(stats.done, { rate: stats.imagesPerSecond.toFixed(1), errors: stats.errors }),
      stop: () => {
        bar.update(stats.done, { rate: stats.imagesPerSecond.toFixed(1), errors: stats.errors });
        bar.stop();
        stream.write("\n"); // the bar restores the cursor to its own line: keep the final bar above the summary
      },
    };
  }
  const print = () => {
    const rate = stats.imagesPerSecond;
    const eta = rate > 0 ? (total - stats.done) / rate : Number.POSITIVE_INFINITY;
    const percent = total > 0 ? ((100 * stats.done) / total).toFixed(1) : "100.0";
    stream.write(`progress: ${stats.done}/${total} (${percent}%), ${rate.toFixed(1)} img/s, ETA ${formatEta(eta)}, errors ${stats.errors}\n`);
  };
  const timer = setInterval(print, intervalMs);
  timer.unref();
  return { update: () => {}, stop: () => clearInterval(timer) };
}
