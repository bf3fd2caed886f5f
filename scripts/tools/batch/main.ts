import { parseBatchArgs, USAGE, UsageError } from "./args.js";
import { MissingSettingError } from "./engines/deployment-outputs.js";
import { runRemote } from "./engines/run-remote.js";
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
    process.stderr.write(
      options.engine
        ? "\nstopping: the remote execution or job keeps running; --resume follows it again (Ctrl-C again to quit now)\n"
        : "\nstopping: finishing the images in flight and closing the output (Ctrl-C again to quit now)\n",
    );
    stop.abort();
  });

  try {
    const summary = options.engine ? await runRemote(options, { stopSignal: stop.signal }) : await runBatch(options, { stopSignal: stop.signal });
    process.stdout.write(`${formatSummary(summary, options.output)}\n`);
    return summary.interrupted ? 130 : summary.failure ? 1 : 0;
  } catch (error) {
    const message = error instanceof OutputMismatchError || error instanceof MissingSettingError ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
    process.stderr.write(`batch failed: ${message}\n`);
    return 1;
  }
}

process.exitCode = await main();
