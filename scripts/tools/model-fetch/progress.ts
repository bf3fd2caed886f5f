import cliProgress from "cli-progress";

/** Shows how far a download has come: a bar on a terminal, a line per 10 % otherwise (CI logs, pipes). */
export interface ProgressReporter {
  start(label: string, totalBytes: number): void;
  update(receivedBytes: number): void;
  stop(): void;
}

const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);

class BarProgress implements ProgressReporter {
  private readonly bar: cliProgress.SingleBar;
  private startedAt = 0;

  constructor(stream: NodeJS.WriteStream) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format: "{label} [{bar}] {percentage}% | {receivedMb}/{totalMb} MB | {speed} MB/s | ETA {eta_formatted}",
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  start(label: string, totalBytes: number): void {
    this.startedAt = Date.now();
    this.bar.start(totalBytes, 0, { label, receivedMb: "0.0", totalMb: megabytes(totalBytes), speed: "0.0" });
  }

  update(receivedBytes: number): void {
    const seconds = Math.max((Date.now() - this.startedAt) / 1000, 0.001);
    this.bar.update(receivedBytes, { receivedMb: megabytes(receivedBytes), speed: megabytes(receivedBytes / seconds) });
  }

  stop(): void {
    this.bar.stop();
  }
}

class LineProgress implements ProgressReporter {
  private label = "";
  private total = 0;
  private lastTenth = -1;

  constructor(private readonly stream: NodeJS.WritableStream) {}

  start(label: string, totalBytes: number): void {
    this.label = label;
    this.total = totalBytes;
    this.lastTenth = -1;
    this.update(0);
  }

  update(receivedBytes: number): void {
    const tenth = this.total > 0 ? Math.floor((receivedBytes / this.total) * 10) : 0;
    if (tenth <= this.lastTenth) return;
    this.lastTenth = tenth;
    this.stream.write(`${this.label}: ${tenth * 10}% (${megabytes(receivedBytes)} of ${megabytes(this.total)} MB)\n`);
  }

  stop(): void {}
}

export const silentProgress: ProgressReporter = { start() {}, update() {}, stop() {} };

export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  return stream.isTTY ? new BarProgress(stream) : new LineProgress(stream);
}
