import aslValidator from "asl-validator";
import { describe, expect, it } from "vitest";
import {
  type BatchStateMachineDefinitionProps,
  MAP_STATE_BY_READER,
  MAP_STATE_NAMES,
  MAX_INPUT_BYTES_PER_BATCH,
  RETRYABLE_LAMBDA_ERRORS,
  batchStateMachineDefinition,
  batchTaskStateName,
} from "../infra/batch/state-machine-definition.js";

const ALIAS_ARN = "arn:aws:lambda:eu-west-1:111122223333:function:image-classifier-prod-batch:batch";
const PROPS: BatchStateMachineDefinitionProps = {
  functionArn: ALIAS_ARN,
  resultsBucket: "example-batch-results",
  resultsPrefix: "classifier",
  maxItemsPerBatch: 16,
  maxConcurrency: 100,
  toleratedFailurePercentage: 5,
  executionType: "STANDARD",
};

type Json = Record<string, any>;
const VARIANTS: [string, BatchStateMachineDefinitionProps][] = [
  ["defaults", PROPS],
  ["express children", { ...PROPS, executionType: "EXPRESS" }],
  ["one item per batch, no tolerance", { ...PROPS, maxItemsPerBatch: 1, toleratedFailurePercentage: 0, maxConcurrency: 1 }],
  ["the limits", { ...PROPS, maxItemsPerBatch: 1000, maxConcurrency: 10_000, toleratedFailurePercentage: 100 }],
];

describe("batch state machine definition", () => {
  it.each(VARIANTS)("passes asl-validator: %s", (_, props) => {
    const { isValid, errorsText } = aslValidator(batchStateMachineDefinition(props));
    expect(isValid, errorsText("\n")).toBe(true);
  });

  it("asl-validator would catch a broken definition (the check can fail)", () => {
    const broken = batchStateMachineDefinition(PROPS) as Json;
    broken.States.ChooseReader.Default = "NoSuchState";
    expect(aslValidator(broken).isValid).toBe(false);
  });

  it("chooses the reader from source.format, and fails on an unknown format", () => {
    const choice = batchStateMachineDefinition(PROPS).States.ChooseReader as Json;
    expect(batchStateMachineDefinition(PROPS).StartAt).toBe("ChooseReader");
    expect(choice.Type).toBe("Choice");
    expect(choice.Choices).toEqual([
      { Variable: "$.source.format", IsPresent: false, Next: "ScoreListing" },
      { Variable: "$.source.format", StringEquals: "CSV", Next: "ScoreCsv" },
      { Variable: "$.source.format", StringEquals: "JSONL", Next: "ScoreJsonl" },
      { Variable: "$.source.format", StringEquals: "MANIFEST", Next: "ScoreInventory" },
    ]);
    expect(choice.Default).toBe("UnknownSourceFormat");
    expect(batchStateMachineDefinition(PROPS).States.UnknownSourceFormat).toMatchObject({ Type: "Fail", Error: "UnknownSourceFormat" });
    expect(MAP_STATE_NAMES).toEqual(["ScoreListing", "ScoreCsv", "ScoreJsonl", "ScoreInventory"]);
  });

  it("reads a listing of bucket/prefix, or a CSV (header row), JSONL or inventory manifest at bucket/key", () => {
    const states = batchStateMachineDefinition(PROPS).States as Json;
    expect(states.ScoreListing.ItemReader).toEqual({
      Resource: "arn:aws:states:::s3:listObjectsV2",
      Parameters: { "Bucket.$": "$.source.bucket", "Prefix.$": "$.source.prefix" },
    });
    const fromKey = { "Bucket.$": "$.source.bucket", "Key.$": "$.source.key" };
    expect(states.ScoreCsv.ItemReader).toEqual({
      Resource: "arn:aws:states:::s3:getObject",
      ReaderConfig: { InputType: "CSV", CSVHeaderLocation: "FIRST_ROW" },
      Parameters: fromKey,
    });
    expect(states.ScoreJsonl.ItemReader).toEqual({ Resource: "arn:aws:states:::s3:getObject", ReaderConfig: { InputType: "JSONL" }, Parameters: fromKey });
    expect(states.ScoreInventory.ItemReader).toEqual({
      Resource: "arn:aws:states:::s3:getObject",
      ReaderConfig: { InputType: "MANIFEST" },
      Parameters: fromKey,
    });
  });

  it.each(Object.values(MAP_STATE_BY_READER))("%s: batches, invokes the alias with retries and jitter, writes results", (name) => {
    const map = (batchStateMachineDefinition({ ...PROPS, executionType: "EXPRESS", maxItemsPerBatch: 32 }).States as Json)[name];
    expect(map).toMatchObject({
      Type: "Map",
      End: true,
      MaxConcurrency: 100,
      ToleratedFailurePercentage: 5,
      ItemBatcher: {
        MaxItemsPerBatch: 32,
        MaxInputBytesPerBatch: MAX_INPUT_BYTES_PER_BATCH,
        BatchInput: { "bucket.$": "$.source.bucket", "topK.$": "$.topK" },
      },
      ResultWriter: { Resource: "arn:aws:states:::s3:putObject", Parameters: { Bucket: "example-batch-results", Prefix: "classifier" } },
    });
    expect(MAX_INPUT_BYTES_PER_BATCH).toBe(256 * 1024);
    const task = batchTaskStateName(name);
    expect(map.ItemProcessor).toEqual({
      ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "EXPRESS" },
      StartAt: task,
      States: {
        [task]: {
          Type: "Task",
          Resource: "arn:aws:states:::lambda:invoke",
          Parameters: { FunctionName: ALIAS_ARN, "Payload.$": "$" },
          OutputPath: "$.Payload",
          Retry: [
            {
              ErrorEquals: [...RETRYABLE_LAMBDA_ERRORS],
              IntervalSeconds: 2,
              MaxAttempts: 6,
              BackoffRate: 2,
              MaxDelaySeconds: 60,
              JitterStrategy: "FULL",
            },
          ],
          End: true,
        },
      },
    });
    expect(RETRYABLE_LAMBDA_ERRORS).toContain("Lambda.TooManyRequestsException");
  });

  it("gives every state, nested ones included, a unique name (Step Functions refuses duplicates)", () => {
    const names: string[] = [];
    const collect = (states: Json) => {
      for (const [name, state] of Object.entries(states)) {
        names.push(name);
        if (state.ItemProcessor) collect(state.ItemProcessor.States);
      }
    };
    collect(batchStateMachineDefinition(PROPS).States);
    expect(new Set(names).size).toBe(names.length);
  });

  it("is plain JSON", () => {
    const definition = batchStateMachineDefinition(PROPS);
    expect(JSON.parse(JSON.stringify(definition))).toEqual(definition);
  });
});
