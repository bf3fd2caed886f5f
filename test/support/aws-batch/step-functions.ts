import type { S3Client } from "@aws-sdk/client-s3";
import { readPath, resolveParameters } from "./json-path.js";
import { batchItems, readItems } from "./item-reader.js";
import type { LocalLambda } from "./local-lambda.js";
import { createMapRun, executeMapRun, itemCounts, type MapRun } from "./map-run.js";

export class ApiError extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
  }
}

interface Execution {
  arn: string;
  name: string;
  stateMachineArn: string;
  input: string;
  status: "RUNNING" | "SUCCEEDED" | "FAILED" | "ABORTED";
  startDate: Date;
  stopDate?: Date;
  error?: string;
  cause?: string;
  mapRun?: MapRun;
  redriveCount: number;
  abortRequested: boolean;
  done: Promise<void>;
}

export interface StepFunctionsOptions {
  s3: S3Client;
  lambda: LocalLambda;
  timeScale: number;
  /** Whether ended executions may be redriven (AWS: within 14 days, at most 1000 times). Default true. */
  redrivable: () => boolean;
}

const seconds = (date: Date | undefined) => (date ? date.getTime() / 1000 : undefined);

/** Executes the batch state machine's Choice + Distributed Map the way Step Functions does, against s3rver. */
export class StepFunctionsService {
  readonly executions = new Map<string, Execution>();
  constructor(
    private readonly machines: Map<string, Record<string, any>>,
    private readonly options: StepFunctionsOptions,
  ) {}

  /** Resolves when every execution started so far has ended. */
  async settled(): Promise<void> {
    await Promise.all([...this.executions.values()].map((execution) => execution.done));
  }

  handle(action: string, body: Record<string, any>): unknown {
    switch (action) {
      case "DescribeStateMachine": {
        const definition = this.machine(body.stateMachineArn);
        return { stateMachineArn: body.stateMachineArn, name: body.stateMachineArn.split(":").pop(), status: "ACTIVE", definition: JSON.stringify(definition), roleArn: "arn:aws:iam::123456789012:role/local", type: "STANDARD", creationDate: 0 };
      }
      case "StartExecution":
        return this.start(body.stateMachineArn, body.name, body.input ?? "{}");
      case "DescribeExecution": {
        const execution = this.execution(body.executionArn);
        const ended = execution.status !== "RUNNING";
        return {
          executionArn: execution.arn, stateMachineArn: execution.stateMachineArn, name: execution.name, status: execution.status,
          startDate: seconds(execution.startDate), stopDate: seconds(execution.stopDate), input: execution.input,
          error: execution.error, cause: execution.cause, redriveCount: execution.redriveCount,
          ...(ended && { redriveStatus: execution.status !== "SUCCEEDED" && this.options.redrivable() ? "REDRIVABLE" : "NOT_REDRIVABLE" }),
        };
      }
      case "ListMapRuns": {
        const execution = this.execution(body.executionArn);
        const run = execution.mapRun;
        return { mapRuns: run ? [{ executionArn: execution.arn, mapRunArn: run.arn, stateMachineArn: execution.stateMachineArn, startDate: seconds(run.startDate), stopDate: seconds(run.stopDate) }] : [] };
      }
      case "DescribeMapRun": {
        const run = [...this.executions.values()].map((execution) => execution.mapRun).find((candidate) => candidate?.arn === body.mapRunArn);
        if (!run) throw new ApiError("ResourceNotFound", `map run ${body.mapRunArn} does not exist`);
        const items = itemCounts(run);
        return {
          mapRunArn: run.arn, executionArn: run.executionArn, status: run.status, startDate: seconds(run.startDate), stopDate: seconds(run.stopDate),
          maxConcurrency: run.maxConcurrency, toleratedFailurePercentage: run.toleratedFailurePercentage, toleratedFailureCount: 0,
          itemCounts: { ...items, failuresNotRedrivable: 0, pendingRedrive: 0 }, executionCounts: items, redriveCount: run.redriveCount,
        };
      }
      case "RedriveExecution":
        return this.redrive(body.executionArn);
      case "StopExecution": {
        const execution = this.execution(body.executionArn);
        if (execution.status === "RUNNING") execution.abortRequested = true;
        return { stopDate: Date.now() / 1000 };
      }
      default:
        throw new ApiError("UnknownOperationException", `the test endpoint does not implement ${action}`);
    }
  }

  private machine(arn: string): Record<string, any> {
    const machine = this.machines.get(arn);
    if (!machine) throw new ApiError("StateMachineDoesNotExist", `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private execution(arn: string): Execution {
    const execution = this.executions.get(arn);
    if (!execution) throw new ApiError("ExecutionDoesNotExist", `Execution Does Not Exist: '${arn}'`);
    return execution;
  }

  private start(stateMachineArn: string, name: string | undefined, input: string) {
    const definition = this.machine(stateMachineArn);
    const executionName = name ?? crypto.randomUUID();
    const arn = `${stateMachineArn.replace(":stateMachine:", ":execution:")}:${executionName}`;
    if (this.executions.has(arn)) throw new ApiError("ExecutionAlreadyExists", `Execution Already Exists: '${arn}'`);
    const execution: Execution = { arn, name: executionName, stateMachineArn, input, status: "RUNNING", startDate: new Date(), redriveCount: 0, abortRequested: false, done: Promise.resolve() };
    this.executions.set(arn, execution);
    execution.done = this.run(execution, definition, JSON.parse(input) as unknown);
    return { executionArn: arn, startDate: seconds(execution.startDate) };
  }

  private redrive(arn: string) {
    const execution = this.execution(arn);
    if (execution.status === "RUNNING" || execution.status === "SUCCEEDED" || !this.options.redrivable() || !execution.mapRun) {
      throw new ApiError("ExecutionNotRedrivable", `Execution ${arn} cannot be redriven (status ${execution.status})`);
    }
    Object.assign(execution, { status: "RUNNING", stopDate: undefined, error: undefined, cause: undefined, abortRequested: false });
    execution.redriveCount++;
    execution.mapRun.redriveCount++;
    execution.done = this.finishMap(execution, execution.mapRun);
    return { redriveDate: Date.now() / 1000 };
  }

  private async run(execution: Execution, definition: Record<string, any>, input: unknown): Promise<void> {
    let stateName: string = definition.StartAt;
    try {
      for (;;) {
        const state = definition.States[stateName];
        if (state.Type === "Choice") {
          const choice = (state.Choices as Array<Record<string, any>>).find((rule) => {
            const value = readPath(input, rule.Variable);
            if ("IsPresent" in rule) return (value !== undefined) === rule.IsPresent;
            return value === rule.StringEquals;
          });
          stateName = choice?.Next ?? state.Default;
        } else if (state.Type === "Fail") {
          return this.end(execution, "FAILED", state.Error, state.Cause);
        } else if (state.Type === "Map") {
          const items = await readItems(this.options.s3, { ...state.ItemReader, Parameters: resolveParameters(state.ItemReader.Parameters, input) });
          const batchInput = resolveParameters(state.ItemBatcher.BatchInput ?? {}, input);
          const run = createMapRun(execution.arn, execution.stateMachineArn, stateName, state, batchItems(items, state.ItemBatcher, batchInput));
          execution.mapRun = run;
          return await this.finishMap(execution, run);
        } else throw new Error(`the test endpoint does not run ${state.Type} states`);
      }
    } catch (error) {
      this.end(execution, "FAILED", (error as Error).name === "States.Runtime" ? "States.Runtime" : "States.ItemReaderFailed", (error as Error).message);
    }
  }

  private async finishMap(execution: Execution, run: MapRun): Promise<void> {
    await executeMapRun(run, { s3: this.options.s3, lambda: this.options.lambda, timeScale: this.options.timeScale, aborted: () => execution.abortRequested });
    if (run.status === "SUCCEEDED") this.end(execution, "SUCCEEDED");
    else if (run.status === "ABORTED") this.end(execution, "ABORTED");
    else this.end(execution, "FAILED", "States.ExceedToleratedFailureThreshold", "The specified tolerated failure threshold was exceeded");
  }

  private end(execution: Execution, status: Execution["status"], error?: string, cause?: string): void {
    Object.assign(execution, { status, stopDate: new Date(), error, cause });
  }
}
