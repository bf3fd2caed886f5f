import type { BatchOptions } from "../args.js";
import type { RunHooks, RunSummary } from "../run.js";
import { createBatchS3Client } from "../s3.js";
import { runBatchOperations } from "./batch-operations.js";
import { runStepFunctions } from "./stepfunctions.js";

/** A batch scored by AWS (Step Functions Distributed Map or S3 Batch Operations): start, follow, collect. */
export async function runRemote(options: BatchOptions, hooks: RunHooks = {}): Promise<RunSummary> {
  const engine = options.engine!;
  const s3 = createBatchS3Client(options.backoff, 8);
  try {
    return engine.kind === "stepfunctions" ? await runStepFunctions(options, engine, s3, hooks) : await runBatchOperations(options, engine, s3, hooks);
  } finally {
    s3.destroy();
  }
}
