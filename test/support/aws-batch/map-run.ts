import { randomUUID } from "node:crypto";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { resolveParameters } from "./json-path.js";
import type { LocalLambda } from "./local-lambda.js";

interface RetryRule {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
}

export interface Child {
  name: string;
  arn: string;
  input: { BatchInput: Record<string, unknown>; Items: Array<Record<string, unknown>> };
  status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED";
  output?: unknown;
  error?: string;
  cause?: string;
  startDate?: Date;
  stopDate?: Date;
  attempts: number;
}

export interface MapRun {
  arn: string;
  executionArn: string;
  stateMachineArn: string;
  startDate: Date;
  stopDate?: Date;
  status: "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";
  children: Child[];
  maxConcurrency: number;
  toleratedFailurePercentage: number;
  resultWriter: { Bucket: string; Prefix: string };
  task: { Parameters: Record<string, unknown>; OutputPath?: string; Retry?: RetryRule[] };
  redriveCount: number;
}

export interface MapRunContext {
  s3: S3Client;
  lambda: LocalLambda;
  /** Multiplies every Retry wait (1 = AWS's seconds; tests use a small fraction). */
  timeScale: number;
  aborted: () => boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createMapRun(
  executionArn: string,
  stateMachineArn: string,
  mapStateName: string,
  state: Record<string, any>,
  batches: Child["input"][],
): MapRun {
  const machine = stateMachineArn.split(":").pop();
  const id = randomUUID();
  const arnBase = stateMachineArn.replace(":stateMachine:", ":execution:").replace(/:[^:]+$/, `:${machine}/${mapStateName}`);
  const processor = state.ItemProcessor as { StartAt: string; States: Record<string, any> };
  return {
    arn: `${stateMachineArn.replace(":stateMachine:", ":mapRun:").replace(/:[^:]+$/, `:${machine}/${mapStateName}`)}:${id}`,
    executionArn,
    stateMachineArn,
    startDate: new Date(),
    status: "RUNNING",
    children: batches.map((input) => {
      const name = randomUUID();
      return { name, arn: `${arnBase}:${name}`, input, status: "PENDING", attempts: 0 };
    }),
    maxConcurrency: state.MaxConcurrency || 10_000,
    toleratedFailurePercentage: state.ToleratedFailurePercentage ?? 0,
    resultWriter: state.ResultWriter.Parameters,
    task: processor.States[processor.StartAt],
    redriveCount: 0,
  };
}

const itemsOf = (children: Child[]) => children.reduce((total, child) => total + child.input.Items.length, 0);

export function itemCounts(run: MapRun) {
  const by = (status: Child["status"]) => itemsOf(run.children.filter((child) => child.status === status));
  return { pending: by("PENDING"), running: by("RUNNING"), succeeded: by("SUCCEEDED"), failed: by("FAILED"), timedOut: 0, aborted: 0, total: itemsOf(run.children), resultsWritten: run.stopDate ? itemsOf(run.children) : 0 };
}

const overTolerance = (run: MapRun) => (100 * itemCounts(run).failed) / Math.max(itemCounts(run).total, 1) > run.toleratedFailurePercentage;

/** One child workflow: the Task's lambda:invoke with its Retry rules (waits scaled), OutputPath $.Payload. */
async function runChild(run: MapRun, child: Child, context: MapRunContext): Promise<void> {
  child.status = "RUNNING";
  child.startDate = new Date();
  const payload = resolveParameters(run.task.Parameters, child.input).Payload;
  const retries = new Map<RetryRule, number>();
  for (;;) {
    child.attempts++;
    const result = await context.lambda.invoke(payload);
    if (result.ok) {
      child.status = "SUCCEEDED";
      child.output = run.task.OutputPath === "$.Payload" ? result.payload : { Payload: result.payload };
      break;
    }
    const rule = run.task.Retry?.find((candidate) => candidate.ErrorEquals.includes(result.error) || candidate.ErrorEquals.includes("States.ALL"));
    const used = rule ? (retries.get(rule) ?? 0) : 0;
    if (!rule || used >= (rule.MaxAttempts ?? 3) || context.aborted()) {
      Object.assign(child, { status: "FAILED", error: result.error, cause: result.cause });
      break;
    }
    retries.set(rule, used + 1);
    const wait = Math.min((rule.IntervalSeconds ?? 1) * (rule.BackoffRate ?? 2) ** used, rule.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
    await sleep(Math.random() * wait * 1000 * context.timeScale); // JitterStrategy FULL
  }
  child.stopDate = new Date();
}

/** Runs the children that have not succeeded yet, MaxConcurrency at a time, until done, aborted or over tolerance. */
export async function executeMapRun(run: MapRun, context: MapRunContext): Promise<void> {
  run.status = "RUNNING";
  run.stopDate = undefined;
  for (const child of run.children) if (child.status === "FAILED") Object.assign(child, { status: "PENDING", error: undefined, cause: undefined });
  const queue = run.children.filter((child) => child.status === "PENDING");
  const lane = async () => {
    for (let child = queue.shift(); child; child = queue.shift()) {
      if (context.aborted() || overTolerance(run)) return;
      await runChild(run, child, context);
    }
  };
  await Promise.all(Array.from({ length: Math.min(run.maxConcurrency, Math.max(queue.length, 1)) }, lane));
  run.status = context.aborted() ? "ABORTED" : overTolerance(run) ? "FAILED" : "SUCCEEDED";
  run.stopDate = new Date();
  await writeResults(run, context.s3);
}

function resultRecord(run: MapRun, child: Child): Record<string, unknown> {
  const ended = child.status === "SUCCEEDED" || child.status === "FAILED";
  return {
    ExecutionArn: child.arn,
    Input: JSON.stringify(child.input),
    InputDetails: { Included: true },
    Name: child.name,
    ...(child.status === "SUCCEEDED" ? { Output: JSON.stringify(child.output), OutputDetails: { Included: true } } : {}),
    ...(child.status === "FAILED" ? { Error: child.error, Cause: child.cause } : {}),
    RedriveCount: run.redriveCount,
    RedriveStatus: child.status === "SUCCEEDED" ? "NOT_REDRIVABLE" : "REDRIVABLE",
    ...(child.startDate ? { StartDate: child.startDate.toISOString() } : {}),
    StateMachineArn: run.stateMachineArn,
    Status: child.status,
    ...(ended && child.stopDate ? { StopDate: child.stopDate.toISOString() } : {}),
  };
}

/** ResultWriter: `<Prefix>/<map run id>/manifest.json` and one `<STATUS>_0.json` per status that has children. */
export async function writeResults(run: MapRun, s3: S3Client): Promise<void> {
  const { Bucket, Prefix } = run.resultWriter;
  const folder = `${Prefix.replace(/\/+$/, "")}/${run.arn.split(":").pop()}`;
  const files: Record<string, Array<{ Key: string; Size: number }>> = { FAILED: [], PENDING: [], SUCCEEDED: [] };
  for (const status of ["SUCCEEDED", "FAILED", "PENDING"] as const) {
    const children = run.children.filter((child) => (status === "PENDING" ? child.status === "PENDING" || child.status === "RUNNING" : child.status === status));
    if (children.length === 0) continue;
    const key = `${folder}/${status}_0.json`;
    const body = JSON.stringify(children.map((child) => resultRecord(run, child)));
    await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentType: "application/json" }));
    files[status]!.push({ Key: key, Size: Buffer.byteLength(body) });
  }
  const manifest = { DestinationBucket: Bucket, MapRunArn: run.arn, ResultFiles: files };
  await s3.send(new PutObjectCommand({ Bucket, Key: `${folder}/manifest.json`, Body: JSON.stringify(manifest), ContentType: "application/json" }));
}
