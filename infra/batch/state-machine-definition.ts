/**
 * The batch state machine as an Amazon States Language object: a Choice on the input's `source.format`, then one
 * Distributed Map per item reader (prefix listing, CSV, JSONL, S3 inventory manifest). Pure: no cdktf, so the CLI,
 * the local test endpoint and the tests build the very same definition the stack deploys.
 */

/** A child's input (and output) is at most 256 KiB; the batcher packs items up to this many bytes. */
export const MAX_INPUT_BYTES_PER_BATCH = 262_144;

/** The Map state per reader: no `source.format` lists the prefix; otherwise the format names the manifest's reader. */
export const MAP_STATE_BY_READER = {
  listing: "ScoreListing",
  CSV: "ScoreCsv",
  JSONL: "ScoreJsonl",
  MANIFEST: "ScoreInventory",
} as const;

/** The four Map state names (a map run belongs to exactly one of them). */
export const MAP_STATE_NAMES = Object.values(MAP_STATE_BY_READER);

export type MapStateName = (typeof MAP_STATE_BY_READER)[keyof typeof MAP_STATE_BY_READER];

export const CHOOSE_READER_STATE = "ChooseReader";
export const UNKNOWN_SOURCE_FORMAT_STATE = "UnknownSourceFormat";

/** The Lambda errors that mean "try again later", not "this batch is bad": throttling and service-side faults. */
export const RETRYABLE_LAMBDA_ERRORS = [
  "Lambda.TooManyRequestsException",
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.ClientExecutionTimeoutException",
] as const;

export type ExecutionType = "STANDARD" | "EXPRESS";

export interface BatchStateMachineDefinitionProps {
  /** ARN of the function alias the children invoke (the batch alias, never the URL's). */
  readonly functionArn: string;
  /** Bucket ResultWriter writes `<prefix>/<map run id>/…` into. */
  readonly resultsBucket: string;
  readonly resultsPrefix: string;
  readonly maxItemsPerBatch: number;
  readonly maxConcurrency: number;
  readonly toleratedFailurePercentage: number;
  /** Type of the child workflows. */
  readonly executionType: ExecutionType;
}

export type AslDefinition = {
  Comment: string;
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
};

type ReaderInputType = "CSV" | "JSONL" | "MANIFEST";

function manifestReader(inputType: ReaderInputType): Record<string, unknown> {
  return {
    Resource: "arn:aws:states:::s3:getObject",
    ReaderConfig: inputType === "CSV" ? { InputType: "CSV", CSVHeaderLocation: "FIRST_ROW" } : { InputType: inputType },
    Parameters: { "Bucket.$": "$.source.bucket", "Key.$": "$.source.key" },
  };
}

const LISTING_READER = {
  Resource: "arn:aws:states:::s3:listObjectsV2",
  Parameters: { "Bucket.$": "$.source.bucket", "Prefix.$": "$.source.prefix" },
};

/** State names are unique across the whole definition, nested ones included, so each Map's task has its own. */
export function batchTaskStateName(mapStateName: MapStateName): string {
  return `${mapStateName}Batch`;
}

function mapState(
  props: BatchStateMachineDefinitionProps,
  name: MapStateName,
  itemReader: Record<string, unknown>,
): Record<string, unknown> {
  const task = batchTaskStateName(name);
  return {
    Type: "Map",
    ItemReader: itemReader,
    ItemBatcher: {
      MaxItemsPerBatch: props.maxItemsPerBatch,
      MaxInputBytesPerBatch: MAX_INPUT_BYTES_PER_BATCH,
      // listObjectsV2 items carry no bucket; the function takes it from here unless the item names its own.
      BatchInput: { "bucket.$": "$.source.bucket", "topK.$": "$.topK" },
    },
    ItemProcessor: {
      ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: props.executionType },
      StartAt: task,
      States: {
        [task]: {
          Type: "Task",
          Resource: "arn:aws:states:::lambda:invoke",
          Parameters: { FunctionName: props.functionArn, "Payload.$": "$" },
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
    },
    MaxConcurrency: props.maxConcurrency,
    ToleratedFailurePercentage: props.toleratedFailurePercentage,
    ResultWriter: {
      Resource: "arn:aws:states:::s3:putObject",
      Parameters: { Bucket: props.resultsBucket, Prefix: props.resultsPrefix },
    },
    End: true,
  };
}

export function batchStateMachineDefinition(props: BatchStateMachineDefinitionProps): AslDefinition {
  return {
    Comment: "Batch image classification: a Distributed Map over an S3 prefix or a CSV/JSONL/inventory manifest",
    StartAt: CHOOSE_READER_STATE,
    States: {
      [CHOOSE_READER_STATE]: {
        Type: "Choice",
        Choices: [
          { Variable: "$.source.format", IsPresent: false, Next: MAP_STATE_BY_READER.listing },
          { Variable: "$.source.format", StringEquals: "CSV", Next: MAP_STATE_BY_READER.CSV },
          { Variable: "$.source.format", StringEquals: "JSONL", Next: MAP_STATE_BY_READER.JSONL },
          { Variable: "$.source.format", StringEquals: "MANIFEST", Next: MAP_STATE_BY_READER.MANIFEST },
        ],
        Default: UNKNOWN_SOURCE_FORMAT_STATE,
      },
      [MAP_STATE_BY_READER.listing]: mapState(props, MAP_STATE_BY_READER.listing, LISTING_READER),
      [MAP_STATE_BY_READER.CSV]: mapState(props, MAP_STATE_BY_READER.CSV, manifestReader("CSV")),
      [MAP_STATE_BY_READER.JSONL]: mapState(props, MAP_STATE_BY_READER.JSONL, manifestReader("JSONL")),
      [MAP_STATE_BY_READER.MANIFEST]: mapState(props, MAP_STATE_BY_READER.MANIFEST, manifestReader("MANIFEST")),
      [UNKNOWN_SOURCE_FORMAT_STATE]: {
        Type: "Fail",
        Error: "UnknownSourceFormat",
        Cause: "source.format must be CSV, JSONL or MANIFEST, or absent to list source.bucket/source.prefix",
      },
    },
  };
}
