import { randomUUID } from "node:crypto";
import type { S3Client } from "@aws-sdk/client-s3";
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  DescribeMapRunCommand,
  DescribeStateMachineCommand,
  ListMapRunsCommand,
  RedriveExecutionCommand,
  type SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import type { BatchOptions } from "../args.js";
import { createProgress } from "../progress.js";
import type { RunHooks, RunSummary } from "../run.js";
import type { S3Location } from "../s3.js";
import type { Sink } from "../sinks.js";
import { createSfnClient } from "./clients.js";
import { readDeploymentOutputs, setting } from "./deployment-outputs.js";
import type { EngineSource, StepFunctionsOptions } from "./engine-options.js";
import { type EngineOutcome, engineItemIdentity, openEngineSink, pause, RemoteCounts, writeEngineRows } from "./engine-run.js";
import { readMapRunRecords } from "./result-writer.js";
import { readRunState, writeRunState } from "./run-state.js";
import { readSourceItems, writeJsonlManifest } from "./source-items.js";

/** The state machine's input (contract): no `format` lists `bucket`/`prefix`; otherwise a manifest's reader. */
export function executionInput(source: EngineSource, topK: number): string {
  const where = source.kind === "listing" ? { bucket: source.bucket, prefix: source.prefix } : { bucket: source.bucket, key: source.key, format: source.format };
  return JSON.stringify({ source: where, topK });
}

/** Where ResultWriter writes, read from the deployed definition itself so the tool never guesses it. */
async function resultsLocation(sfn: SFNClient, stateMachineArn: string): Promise<S3Location> {
  const machine = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
  const states = (JSON.parse(machine.definition ?? "{}") as { States?: Record<string, { ResultWriter?: { Parameters?: { Bucket?: string; Prefix?: string } } }> }).States ?? {};
  for (const state of Object.values(states)) {
    const parameters = state.ResultWriter?.Parameters;
    if (parameters?.Bucket) return { bucket: parameters.Bucket, key: parameters.Prefix ?? "" };
  }
  throw new Error(`the state machine ${stateMachineArn} has no Map state with a ResultWriter: its results cannot be collected`);
}

const ENDED_BADLY = new Set(["FAILED", "ABORTED", "TIMED_OUT"]);

interface Started {
  executionArn: string;
  /** Items in this execution (known up front when the tool listed them; else from the map run). */
  total?: number;
  note: string;
}

/** Starts a new execution over the source, or, on resume, over only the items the output lacks. */
async function startExecution(
  sfn: SFNClient,
  s3: S3Client,
  options: BatchOptions,
  engine: StepFunctionsOptions,
  stateMachineArn: string,
  staging: S3Location,
  sink: Sink,
): Promise<Started | undefined> {
  const name = `batch-${new Date().toISOString().replace(/[:.]/g, "-")}-${randomUUID().slice(0, 8)}`;
  let source = engine.source;
  let total: number | undefined;
  if (options.resume && sink.done.size > 0) {
    const items = await readSourceItems(s3, engine.source);
    const missing = items.filter((item) => !sink.done.has(engineItemIdentity(item)));
    if (missing.length === 0) return undefined;
    const key = `${staging.key.replace(/\/?$/, "/").replace(/^\/$/, "")}${name}.jsonl`;
    await writeJsonlManifest(s3, { bucket: staging.bucket, key }, missing);
    source = { kind: "manifest", bucket: staging.bucket, key, format: "JSONL" };
    total = missing.length;
  }
  const started = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: executionInput(source, options.topK) }));
  await writeRunState(engine.stateFile, { kind: "stepfunctions", executionArn: started.executionArn!, stateMachineArn });
  const over = source === engine.source ? "" : ` over the ${total} items missing from the output (s3://${source.bucket}/${source.kind === "manifest" ? source.key : ""})`;
  return { executionArn: started.executionArn!, ...(total !== undefined && { total }), note: `started ${started.executionArn}${over}` };
}

/** Follows (or redrives) the execution --resume finds; undefined when a new execution is needed. */
async function resumeExecution(sfn: SFNClient, engine: StepFunctionsOptions, stateMachineArn: string): Promise<Started | undefined> {
  const state = await readRunState(engine.stateFile);
  if (state?.kind !== "stepfunctions" || state.stateMachineArn !== stateMachineArn) return undefined;
  const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: state.executionArn }));
  if (execution.status === "RUNNING" || execution.status === "PENDING_REDRIVE") {
    return { executionArn: state.executionArn, note: `following ${state.executionArn}, still ${execution.status}` };
  }
  if (ENDED_BADLY.has(execution.status ?? "") && execution.redriveStatus === "REDRIVABLE") {
    await sfn.send(new RedriveExecutionCommand({ executionArn: state.executionArn, clientToken: randomUUID() }));
    return { executionArn: state.executionArn, note: `redriving ${state.executionArn} (it ended ${execution.status}): only its failed and unstarted children run again` };
  }
  return undefined;
}

async function mapRunArns(sfn: SFNClient, executionArn: string): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListMapRunsCommand({ executionArn, ...(nextToken && { nextToken }) }));
    arns.push(...(page.mapRuns ?? []).map((run) => run.mapRunArn!));
    nextToken = page.nextToken;
  } while (nextToken);
  return arns;
}

/** Polls the execution until it ends, showing the map run's item counts; undefined when Ctrl-C detached. */
async function follow(sfn: SFNClient, executionArn: string, engine: StepFunctionsOptions, hooks: RunHooks): Promise<DescribeExecutionCommandOutput | undefined> {
  const counts = new RemoteCounts();
  let progress: ReturnType<typeof createProgress> | undefined;
  try {
    for (;;) {
      const execution = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      const [mapRunArn] = await mapRunArns(sfn, executionArn);
      if (mapRunArn) {
        const run = await sfn.send(new DescribeMapRunCommand({ mapRunArn }));
        const items = run.itemCounts;
        if (items) {
          progress ??= createProgress(counts, items.total ?? 0);
          counts.errors = (items.failed ?? 0) + (items.timedOut ?? 0) + (items.aborted ?? 0);
          counts.done = (items.succeeded ?? 0) + counts.errors;
          progress.update();
        }
      }
      if (execution.status !== "RUNNING" && execution.status !== "PENDING_REDRIVE") return execution;
      if (await pause(engine.pollMs, hooks.stopSignal)) return undefined;
    }
  } finally {
    progress?.stop();
  }
}

export async function runStepFunctions(options: BatchOptions, engine: StepFunctionsOptions, s3: S3Client, hooks: RunHooks): Promise<RunSummary> {
  const log = hooks.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const startedAt = performance.now();
  const outputs = await readDeploymentOutputs(engine.outputsFile);
  const stateMachineArn = setting(engine.stateMachineArn, outputs, "batch_state_machine_arn", "--target stepfunctions:<ARN>", engine.outputsFile);
  const sfn = createSfnClient(engine.region);
  try {
    const results = await resultsLocation(sfn, stateMachineArn);
    const staging = engine.staging ?? { bucket: results.bucket, key: `${results.key.replace(/\/+$/, "")}/manifests/` };
    const sink = await openEngineSink(options, s3);
    let outcome: EngineOutcome;
    try {
      const started =
        (options.resume ? await resumeExecution(sfn, engine, stateMachineArn) : undefined) ??
        (await startExecution(sfn, s3, options, engine, stateMachineArn, staging, sink));
      if (!started) {
        log(`batch: every item of the source is in the output already (${sink.done.size} lines): nothing to start`);
        outcome = { total: 0, records: [], startedAt };
      } else {
        log(`stepfunctions: ${started.note}`);
        const execution = await follow(sfn, started.executionArn, engine, hooks);
        if (!execution) {
          log(`detached: ${started.executionArn} keeps running; run the same command with --resume to follow it and collect its results`);
          outcome = { total: started.total ?? 0, records: [], startedAt, interrupted: true };
        } else {
          const records = [];
          for (const mapRunArn of await mapRunArns(sfn, started.executionArn)) {
            records.push(...(await readMapRunRecords(s3, results.bucket, results.key, mapRunArn)));
          }
          const failure =
            execution.status === "SUCCEEDED"
              ? undefined
              : `execution ${execution.status}${execution.error ? ` (${execution.error}: ${execution.cause ?? ""})` : ""}: ` +
                `the rows of items it did not score are errors; run the same command with --resume to score only those`;
          outcome = { total: started.total ?? records.length, records, startedAt, ...(failure && { failure }) };
        }
      }
      return await writeEngineRows(sink, outcome, sink.done.size);
    } finally {
      await sink.close();
    }
  } finally {
    sfn.destroy();
  }
}
