import { randomUUID } from "node:crypto";
import type { S3Client } from "@aws-sdk/client-s3";
import { CreateJobCommand, DescribeJobCommand, type JobDescriptor, type S3ControlClient } from "@aws-sdk/client-s3-control";
import type { BatchOptions } from "../args.js";
import { createProgress } from "../progress.js";
import type { RunHooks, RunSummary } from "../run.js";
import { createS3ControlClient } from "./clients.js";
import { readDeploymentOutputs, setting } from "./deployment-outputs.js";
import type { BatchOperationsOptions } from "./engine-options.js";
import { type EngineOutcome, engineItemIdentity, openEngineSink, pause, RemoteCounts, writeEngineRows } from "./engine-run.js";
import { readCompletionReport } from "./completion-report.js";
import { readRunState, writeRunState } from "./run-state.js";
import { itemIdentityKey, readSourceItems, writeBatchOperationsManifest } from "./source-items.js";

const ENDED = new Set(["Complete", "Failed", "Cancelled"]);

/** Polls the job until it ends, showing its task counts; undefined when Ctrl-C detached. */
async function follow(control: S3ControlClient, accountId: string, jobId: string, pollMs: number, hooks: RunHooks): Promise<JobDescriptor | undefined> {
  const counts = new RemoteCounts();
  let progress: ReturnType<typeof createProgress> | undefined;
  try {
    for (;;) {
      const { Job: job } = await control.send(new DescribeJobCommand({ AccountId: accountId, JobId: jobId }));
      const summary = job?.ProgressSummary;
      if (summary?.TotalNumberOfTasks !== undefined) {
        progress ??= createProgress(counts, summary.TotalNumberOfTasks);
        counts.errors = summary.NumberOfTasksFailed ?? 0;
        counts.done = (summary.NumberOfTasksSucceeded ?? 0) + counts.errors;
        progress.update();
      }
      if (job && ENDED.has(job.Status ?? "")) return job;
      if (await pause(pollMs, hooks.stopSignal)) return undefined;
    }
  } finally {
    progress?.stop();
  }
}

/**
 * An S3 Batch Operations job that invokes the function once per object (schema 2.0), with a completion report that
 * becomes the output rows. Jobs cannot be redriven: --resume creates a new job over the items the output lacks.
 */
export async function runBatchOperations(options: BatchOptions, engine: BatchOperationsOptions, s3: S3Client, hooks: RunHooks): Promise<RunSummary> {
  const log = hooks.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const startedAt = performance.now();
  const outputs = await readDeploymentOutputs(engine.outputsFile);
  const functionArn = setting(engine.functionArn, outputs, "batch_function_alias_arn", "--function-arn", engine.outputsFile);
  const roleArn = setting(engine.roleArn, outputs, "batch_operations_role_arn", "--role-arn", engine.outputsFile);
  const accountId = engine.accountId ?? /^arn:aws[\w-]*:iam::(\d{12}):/.exec(roleArn)?.[1];
  if (!accountId) throw new Error(`--account-id is needed: the role ARN ${roleArn} names no account`);
  const report = engine.report ?? {
    bucket: setting(undefined, outputs, "batch_results_bucket", "--report s3://bucket/prefix", engine.outputsFile),
    key: `${(outputs.batch_results_prefix ?? "").replace(/\/+$/, "")}/batch-operations`,
  };

  const control = createS3ControlClient(engine.region);
  const sink = await openEngineSink(options, s3);
  let outcome: EngineOutcome;
  try {
    const items = await readSourceItems(s3, engine.source);
    const todo = items.filter((item) => !sink.done.has(engineItemIdentity(item)));
    const byKey = new Map(items.map((item) => [itemIdentityKey(item), item]));
    const previous = options.resume ? await readRunState(engine.stateFile) : undefined;
    let jobId: string | undefined;
    if (previous?.kind === "s3-batch-operations" && previous.accountId === accountId) {
      const { Job: job } = await control.send(new DescribeJobCommand({ AccountId: accountId, JobId: previous.jobId }));
      if (job && !ENDED.has(job.Status ?? "")) {
        jobId = previous.jobId;
        log(`s3-batch-operations: following job ${jobId}, still ${job.Status}`);
      }
    }
    if (!jobId && todo.length === 0) {
      log(`batch: every item of the source is in the output already (${sink.done.size} lines): no job created`);
      outcome = { total: 0, records: [], startedAt };
    } else {
      if (!jobId) {
        const manifestKey = `${report.key.replace(/\/+$/, "")}/manifests/${randomUUID()}.csv`;
        const etag = await writeBatchOperationsManifest(s3, { bucket: report.bucket, key: manifestKey }, todo);
        const created = await control.send(
          new CreateJobCommand({
            AccountId: accountId,
            ConfirmationRequired: false,
            ClientRequestToken: randomUUID(),
            Priority: 10,
            RoleArn: roleArn,
            Description: `npm run batch: ${todo.length} objects`,
            Operation: { LambdaInvoke: { FunctionArn: functionArn, InvocationSchemaVersion: "2.0", UserArguments: { topK: String(options.topK) } } },
            Manifest: {
              Spec: { Format: "S3BatchOperations_CSV_20180820", Fields: ["Bucket", "Key"] },
              Location: { ObjectArn: `arn:aws:s3:::${report.bucket}/${manifestKey}`, ETag: etag },
            },
            Report: { Enabled: true, Bucket: `arn:aws:s3:::${report.bucket}`, Prefix: report.key, Format: "Report_CSV_20180820", ReportScope: "AllTasks" },
          }),
        );
        jobId = created.JobId!;
        await writeRunState(engine.stateFile, { kind: "s3-batch-operations", jobId, accountId });
        log(`s3-batch-operations: created job ${jobId} over ${todo.length} objects`);
      }
      const job = await follow(control, accountId, jobId, engine.pollMs, hooks);
      if (!job) {
        log(`detached: job ${jobId} keeps running; run the same command with --resume to follow it and collect its report`);
        outcome = { total: todo.length, records: [], startedAt, interrupted: true };
      } else {
        const records = await readCompletionReport(s3, report.bucket, report.key, jobId, byKey, null);
        const reasons = (job.FailureReasons ?? []).map((reason) => `${reason.FailureCode}: ${reason.FailureReason}`).join("; ");
        const failure = job.Status === "Complete" ? undefined : `job ${job.Status}${reasons ? ` (${reasons})` : ""}; run the same command with --resume to score what is missing`;
        outcome = { total: todo.length, records, startedAt, ...(failure && { failure }) };
      }
    }
    return await writeEngineRows(sink, outcome, items.length - todo.length);
  } finally {
    await sink.close();
    control.destroy();
  }
}
