import { parseBatchArgs, USAGE, UsageError } from "./args.js";
import { formatSummary, runBatch } from "./run.js";
import { OutputMismatchError } from "./sinks.js";

/** `npm run batch -- --input … --output …`: scores every image of a folder or S3 prefix. See USAGE. */
async function main(): Promise<number> {
  let options;
  try {
    options = parseBatchArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`error: ${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const stop = new AbortController();
  process.on("SIGINT", () => {
    if (stop.signal.aborted) process.exit(130);
    process.stderr.write("\nstopping: finishing the images in flight and closing the output (Ctrl-C again to quit now)\n");
    stop.abort();
  });

  try {
    const summary = await runBatch(options, { stopSignal: stop.signal });
    process.stdout.write(`${formatSummary(summary, options.output)}\n`);
    return summary.interrupted ? 130 : 0;
  } catch (error) {
    const message = error instanceof OutputMismatchError ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
    process.stderr.write(`batch failed: ${message}\n`);
    return 1;
  }
}

process.exitCode = await main();
