import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js";
import { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { SfnStateMachine } from "@cdktf/provider-aws/lib/sfn-state-machine/index.js";
import aslValidator from "asl-validator";
import { beforeAll, describe, expect, it } from "vitest";
import { type Json, synthesizeStack, type SynthesizedStack } from "./support/synthesize-stack.js";
import { BATCH_OUTPUTS } from "../infra/batch/batch-scoring.js";
import { LOG_DELIVERY_ACTIONS } from "../infra/batch/state-machine-role.js";
import { batchStateMachineDefinition } from "../infra/batch/state-machine-definition.js";
import { parseStageConfig, type StageConfigInput } from "../infra/config.js";

type Synthesized = SynthesizedStack;
const HASH = "b".repeat(64);
const OTHER_ACCOUNT = "444455556666";


const BATCH = {
  inputs: [
    { bucket: "photo-archive", prefix: "photos/" },
    { bucket: "photo-archive", prefix: "scans/" },
    { bucket: "partner-photos", prefix: "", expectedBucketOwner: OTHER_ACCOUNT },
  ],
  manifests: [{ bucket: "photo-archive", prefix: "inventory/" }],
  results: { bucket: "batch-results", prefix: "classifier" },
};

function synthesize(input: Omit<StageConfigInput, "stage" | "region">): SynthesizedStack {
  return synthesizeStack(parseStageConfig({ stage: "test", region: "eu-west-1", ...input }, "batch.json"), HASH);
}

function problemsOf(input: Record<string, unknown>): string {
  try {
    parseStageConfig({ stage: "test", region: "eu-west-1", ...input }, "batch.json");
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(input)} was accepted`);
}

const resources = (s: Synthesized, type: string): [string, Json][] => Object.entries(s.tf.resource?.[type] ?? {});
const named = (s: Synthesized, type: string, name: string): [string, Json] => {
  const found = resources(s, type).filter(([, resource]) => resource.name === name || resource.function_name === name);
  expect(found, `one ${type} named ${name}`).toHaveLength(1);
  return found[0]!;
};
const ref = (type: string, id: string, attribute: string) => `\${${type}.${id}.${attribute}}`;
const roleNamed = (s: Synthesized, name: string) => named(s, IamRole.tfResourceType, name);
const policiesOf = (s: Synthesized, roleName: string): Json[] => {
  const [roleId] = roleNamed(s, roleName);
  return resources(s, IamRolePolicy.tfResourceType)
    .filter(([, policy]) => policy.role === ref(IamRole.tfResourceType, roleId, "id"))
    .map(([, policy]) => ({ name: policy.name, document: JSON.parse(policy.policy as string) }));
};
const statementsOf = (s: Synthesized, roleName: string): Json[] => policiesOf(s, roleName).flatMap(({ document }) => document.Statement);
const trustOf = (s: Synthesized, roleName: string): Json[] => JSON.parse(roleNamed(s, roleName)[1].assume_role_policy as string).Statement;

let s: Synthesized;
let account: string;
let aliasArn: string;
let batchFunction: [string, Json];
beforeAll(() => {
  s = synthesize({ memoryMb: 3008, s3InputAllowlist: [{ bucket: "uploads", prefix: "in/" }], batch: BATCH });
  account = `\${data.${DataAwsCallerIdentity.tfResourceType}.account.account_id}`;
  const [aliasId] = named(s, LambdaAlias.tfResourceType, "batch");
  aliasArn = ref(LambdaAlias.tfResourceType, aliasId, "arn");
  batchFunction = named(s, LambdaFunction.tfResourceType, "image-classifier-test-batch");
});

const S3_OWNED = { StringEquals: { "s3:ResourceAccount": "${data.aws_caller_identity.account.account_id}" } };
const PARTNER_OWNED = { StringEquals: { "s3:ResourceAccount": OTHER_ACCOUNT } };

describe("batch function", () => {
  it("is a second function from the same image with its own reserved concurrency, timeout and memory", () => {
    const [, stage] = named(s, LambdaFunction.tfResourceType, "image-classifier-test");
    const [, batch] = batchFunction;
    expect(batch.image_uri).toBe(stage.image_uri);
    expect(batch).toMatchObject({
      package_type: "Image",
      publish: true,
      reserved_concurrent_executions: 100,
      timeout: 300,
      memory_size: 3008,
      architectures: stage.architectures,
    });
    expect(stage.reserved_concurrent_executions).toBeUndefined();
    expect(batch.role).not.toBe(stage.role);
  });

  it("takes the stage's environment plus the batch inputs in S3_INPUT_ALLOWLIST", () => {
    const [, stage] = named(s, LambdaFunction.tfResourceType, "image-classifier-test");
    const variables = batchFunction[1].environment.variables;
    expect(JSON.parse(variables.S3_INPUT_ALLOWLIST)).toEqual([
      { bucket: "uploads", prefix: "in/" },
      { bucket: "photo-archive", prefix: "photos/" },
      { bucket: "photo-archive", prefix: "scans/" },
      { bucket: "partner-photos", prefix: "", expectedBucketOwner: OTHER_ACCOUNT },
    ]);
    expect(variables.S3_EXPECTED_BUCKET_OWNER).toBe(account);
    const { S3_INPUT_ALLOWLIST: _a, ...batchRest } = variables;
    const { S3_INPUT_ALLOWLIST: _b, ...stageRest } = stage.environment.variables;
    expect(batchRest).toEqual(stageRest);
  });

  it("derives threads from its own memory", () => {
    const small = synthesize({ memoryMb: 1770, batch: { ...BATCH, memoryMb: 10_240 } });
    expect(named(small, LambdaFunction.tfResourceType, "image-classifier-test-batch")[1].environment.variables.ORT_INTRA_OP_THREADS).toBe("6");
    expect(named(small, LambdaFunction.tfResourceType, "image-classifier-test")[1].environment.variables.ORT_INTRA_OP_THREADS).toBe("1");
  });

  it("has alias batch on its published version", () => {
    const [, alias] = named(s, LambdaAlias.tfResourceType, "batch");
    const [id] = batchFunction;
    expect(alias.function_name).toBe(ref(LambdaFunction.tfResourceType, id, "function_name"));
    expect(alias.function_version).toBe(ref(LambdaFunction.tfResourceType, id, "version"));
  });

  it("logs to its own log group with the stage's retention", () => {
    const [, group] = named(s, CloudwatchLogGroup.tfResourceType, "/aws/lambda/image-classifier-test-batch");
    expect(group.retention_in_days).toBe(30);
    expect(batchFunction[1].logging_config.log_group).toMatch(/^\$\{aws_cloudwatch_log_group\.batch_function_log-group/);
  });

  it("role: trusts Lambda, writes its own logs, reads exactly its allowlist, nothing else", () => {
    expect(trustOf(s, "image-classifier-test-batch-role")).toEqual([
      { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
    const [groupId] = named(s, CloudwatchLogGroup.tfResourceType, "/aws/lambda/image-classifier-test-batch");
    expect(statementsOf(s, "image-classifier-test-batch-role")).toEqual([
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${ref(CloudwatchLogGroup.tfResourceType, groupId, "arn")}:*`,
      },
      {
        Sid: "ReadInputObjects",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: ["arn:aws:s3:::uploads/in/*", "arn:aws:s3:::photo-archive/photos/*", "arn:aws:s3:::photo-archive/scans/*"],
        Condition: S3_OWNED,
      },
      { Sid: "ReadInputObjects1", Effect: "Allow", Action: "s3:GetObject", Resource: ["arn:aws:s3:::partner-photos/*"], Condition: PARTNER_OWNED },
    ]);
    const [roleId] = roleNamed(s, "image-classifier-test-batch-role");
    const attached = resources(s, IamRolePolicyAttachment.tfResourceType).filter(([, a]) => a.role === ref(IamRole.tfResourceType, roleId, "name"));
    expect(attached).toEqual([]);
  });
});

describe("state machine", () => {
  it("deploys the definition for the stage's batch settings, invoking the batch alias", () => {
    const [, machine] = named(s, SfnStateMachine.tfResourceType, "image-classifier-test-batch");
    expect(machine.type).toBe("STANDARD");
    const definition = JSON.parse(machine.definition as string);
    expect(definition).toEqual(
      batchStateMachineDefinition({
        functionArn: aliasArn,
        resultsBucket: "batch-results",
        resultsPrefix: "classifier",
        maxItemsPerBatch: 16,
        maxConcurrency: 100,
        toleratedFailurePercentage: 5,
        executionType: "STANDARD",
      }),
    );
    const { isValid, errorsText } = aslValidator(definition);
    expect(isValid, errorsText("\n")).toBe(true);
  });

  it("takes batch size, concurrency, tolerance and child type from the config", () => {
    const tuned = synthesize({
      batch: { ...BATCH, maxItemsPerBatch: 64, maxConcurrency: 500, reservedConcurrency: 500, toleratedFailurePercentage: 0, executionType: "EXPRESS", timeoutSeconds: 120 },
    });
    const [, machine] = named(tuned, SfnStateMachine.tfResourceType, "image-classifier-test-batch");
    const map = JSON.parse(machine.definition as string).States.ScoreCsv;
    expect(map).toMatchObject({ MaxConcurrency: 500, ToleratedFailurePercentage: 0, ItemBatcher: { MaxItemsPerBatch: 64 } });
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: "DISTRIBUTED", ExecutionType: "EXPRESS" });
    expect(named(tuned, LambdaFunction.tfResourceType, "image-classifier-test-batch")[1]).toMatchObject({ timeout: 120, reserved_concurrent_executions: 500 });
  });

  it("logs errors without execution data to a vended-logs group with retention, after its role may deliver them", () => {
    const [, machine] = named(s, SfnStateMachine.tfResourceType, "image-classifier-test-batch");
    const [groupId, group] = named(s, CloudwatchLogGroup.tfResourceType, "/aws/vendedlogs/states/image-classifier-test-batch");
    expect(group.retention_in_days).toBe(30);
    expect(machine.logging_configuration).toEqual({
      level: "ERROR",
      include_execution_data: false,
      log_destination: `${ref(CloudwatchLogGroup.tfResourceType, groupId, "arn")}:*`,
    });
    expect(machine.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy\.batch_state-machine-role_policy/)]));
    const verbose = synthesize({ batch: { ...BATCH, logging: { level: "ALL", includeExecutionData: true, retentionDays: 7 } } });
    expect(named(verbose, SfnStateMachine.tfResourceType, "image-classifier-test-batch")[1].logging_configuration).toMatchObject({
      level: "ALL",
      include_execution_data: true,
    });
    expect(named(verbose, CloudwatchLogGroup.tfResourceType, "/aws/vendedlogs/states/image-classifier-test-batch")[1].retention_in_days).toBe(7);
  });

  it("role: trusts Step Functions of this account only", () => {
    expect(trustOf(s, "image-classifier-test-batch-sfn")).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "states.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": account } },
      },
    ]);
  });

  it("role: child executions of itself, invoke of the batch alias, list/read inputs and manifests, write results, logs", () => {
    const [groupId] = named(s, CloudwatchLogGroup.tfResourceType, "/aws/vendedlogs/states/image-classifier-test-batch");
    const states = `arn:aws:states:eu-west-1:${account}`;
    expect(statementsOf(s, "image-classifier-test-batch-sfn")).toEqual([
      { Sid: "StartChildExecutions", Effect: "Allow", Action: ["states:StartExecution"], Resource: `${states}:stateMachine:image-classifier-test-batch` },
      {
        Sid: "ManageChildExecutions",
        Effect: "Allow",
        Action: ["states:DescribeExecution", "states:StopExecution", "states:RedriveExecution"],
        Resource: `${states}:execution:image-classifier-test-batch/*`,
      },
      { Sid: "InvokeBatchAlias", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: aliasArn },
      {
        Sid: "ListInputs",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: "arn:aws:s3:::photo-archive",
        Condition: { ...S3_OWNED, StringLike: { "s3:prefix": ["photos/*", "scans/*"] } },
      },
      // A whole-bucket entry: no s3:prefix condition, still the owner's.
      { Sid: "ListInputs1", Effect: "Allow", Action: ["s3:ListBucket"], Resource: "arn:aws:s3:::partner-photos", Condition: PARTNER_OWNED },
      {
        Sid: "ReadManifests",
        Effect: "Allow",
        Action: ["s3:GetObject"],
        Resource: [
          "arn:aws:s3:::photo-archive/photos/*",
          "arn:aws:s3:::photo-archive/scans/*",
          "arn:aws:s3:::photo-archive/inventory/*",
          "arn:aws:s3:::batch-results/classifier/manifests/*",
        ],
        Condition: S3_OWNED,
      },
      { Sid: "ReadManifests1", Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::partner-photos/*"], Condition: PARTNER_OWNED },
      {
        Sid: "WriteResults",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
        Resource: ["arn:aws:s3:::batch-results/classifier/*"],
        Condition: S3_OWNED,
      },
      { Sid: "DeliverLogs", Effect: "Allow", Action: [...LOG_DELIVERY_ACTIONS], Resource: "*" },
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${ref(CloudwatchLogGroup.tfResourceType, groupId, "arn")}:*`,
      },
    ]);
    expect(policiesOf(s, "image-classifier-test-batch-sfn")).toHaveLength(1);
  });
});

describe("S3 Batch Operations role", () => {
  it("trusts S3 Batch Operations of this account only", () => {
    expect(trustOf(s, "image-classifier-test-batch-s3ops")).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "batchoperations.s3.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": account } },
      },
    ]);
  });

  it("may invoke the batch alias, read manifests, write reports under the results prefix: nothing else", () => {
    expect(statementsOf(s, "image-classifier-test-batch-s3ops")).toEqual([
      { Sid: "InvokeBatchAlias", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: aliasArn },
      {
        Sid: "ReadManifests",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:GetObjectVersion"],
        Resource: ["arn:aws:s3:::photo-archive/inventory/*", "arn:aws:s3:::batch-results/classifier/manifests/*"],
        Condition: S3_OWNED,
      },
      { Sid: "WriteReports", Effect: "Allow", Action: ["s3:PutObject"], Resource: ["arn:aws:s3:::batch-results/classifier/*"], Condition: S3_OWNED },
      {
        Sid: "LocateBuckets",
        Effect: "Allow",
        Action: ["s3:GetBucketLocation"],
        Resource: ["arn:aws:s3:::photo-archive", "arn:aws:s3:::batch-results"],
        Condition: S3_OWNED,
      },
    ]);
  });

  it("is left out when batchOperations is disabled", () => {
    const off = synthesize({ batch: { ...BATCH, batchOperations: { enabled: false } } });
    expect(resources(off, IamRole.tfResourceType).map(([, role]) => role.name)).not.toContain("image-classifier-test-batch-s3ops");
    expect(off.tf.output[BATCH_OUTPUTS.batchOperationsRoleArn]).toBeUndefined();
  });
});

describe("every batch IAM document", () => {
  it("has no wildcard action, and a wildcard resource only for the documented log delivery", () => {
    const roles = ["image-classifier-test-batch-role", "image-classifier-test-batch-sfn", "image-classifier-test-batch-s3ops"];
    const statements = roles.flatMap((role) => statementsOf(s, role));
    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements) {
      const actions = [statement.Action].flat() as string[];
      expect(actions.filter((action) => action.includes("*")), statement.Sid).toEqual([]);
      const wildcards = ([statement.Resource].flat() as string[]).filter((resource) => resource === "*");
      if (wildcards.length > 0) expect(statement.Sid).toBe("DeliverLogs");
      expect(statement.Effect).toBe("Allow");
    }
  });
});

describe("outputs", () => {
  it("names the state machine, the alias, the Batch Operations role and the results location as the CLI expects", () => {
    const [machineId] = named(s, SfnStateMachine.tfResourceType, "image-classifier-test-batch");
    const [roleId] = roleNamed(s, "image-classifier-test-batch-s3ops");
    const value = (name: string) => s.tf.output[name]?.value;
    expect(value("batch_state_machine_arn")).toBe(ref(SfnStateMachine.tfResourceType, machineId, "arn"));
    expect(value("batch_function_alias_arn")).toBe(aliasArn);
    expect(value("batch_operations_role_arn")).toBe(ref(IamRole.tfResourceType, roleId, "arn"));
    expect(value("batch_results_bucket")).toBe("batch-results");
    expect(value("batch_results_prefix")).toBe("classifier");
    expect(value("batch_manifests_prefix")).toBe("classifier/manifests/");
    expect(value("function_url")).toBeDefined();
  });

  it("a stage without a batch block has none of it", () => {
    const plain = synthesize({});
    expect(resources(plain, SfnStateMachine.tfResourceType)).toEqual([]);
    expect(resources(plain, LambdaFunction.tfResourceType)).toHaveLength(1);
    expect(Object.keys(plain.tf.output).filter((name) => name.startsWith("batch_"))).toEqual([]);
  });
});

describe("batch configuration", () => {
  it("fills the documented defaults", () => {
    const config = parseStageConfig({ stage: "test", region: "eu-west-1", batch: { inputs: [{ bucket: "in-bucket" }], results: { bucket: "out-bucket" } } }, "b.json");
    expect(config.batch).toEqual({
      inputs: [{ bucket: "in-bucket", prefix: "" }],
      manifests: [],
      results: { bucket: "out-bucket", prefix: "batch-results" },
      maxItemsPerBatch: 16,
      maxConcurrency: 100,
      toleratedFailurePercentage: 5,
      reservedConcurrency: 100,
      timeoutSeconds: 300,
      executionType: "STANDARD",
      logging: { level: "ERROR", includeExecutionData: false },
      batchOperations: { enabled: true },
    });
  });

  it.each([
    [{ ...BATCH, inputs: [] }, "batch.inputs: must name at least one bucket/prefix a batch may read"],
    [{ ...BATCH, maxConcurrency: 10_001 }, "batch.maxConcurrency"],
    [{ ...BATCH, maxItemsPerBatch: 1001 }, "batch.maxItemsPerBatch"],
    [{ ...BATCH, toleratedFailurePercentage: 101 }, "batch.toleratedFailurePercentage"],
    [{ ...BATCH, results: { bucket: "batch-results", prefix: "out/" } }, 'batch.results.prefix: must not end with "/"'],
    [{ ...BATCH, results: { bucket: "batch-results", prefix: "" } }, "batch.results.prefix: must not be empty"],
    [{ ...BATCH, results: { bucket: "batch-results", prefix: "out*" } }, "batch.results.prefix: must not contain wildcards"],
    [{ ...BATCH, inputs: [{ bucket: "in-bucket", prefix: "a*" }] }, "batch.inputs.0.prefix: must not contain wildcards"],
    [{ ...BATCH, executionType: "SYNC" }, "batch.executionType"],
    [{ ...BATCH, logging: { level: "VERBOSE" } }, "batch.logging.level"],
    [{ ...BATCH, logging: { retentionDays: 2 } }, "batch.logging.retentionDays: must be one of"],
    [{ ...BATCH, unknown: true }, "batch: Unrecognized key"],
  ])("refuses %j", (batch, message) => {
    expect(problemsOf({ batch })).toContain(message);
  });

  it("refuses results that overlap an input, in either direction", () => {
    expect(problemsOf({ batch: { ...BATCH, results: { bucket: "photo-archive", prefix: "photos/out" } } })).toContain(
      "batch.results.prefix: must not overlap batch.inputs.0 (s3://photo-archive/photos/)",
    );
    expect(problemsOf({ batch: { ...BATCH, results: { bucket: "partner-photos", prefix: "out" } } })).toContain("must not overlap batch.inputs.2");
    expect(problemsOf({ batch: { ...BATCH, inputs: [{ bucket: "batch-results", prefix: "" }] } })).toContain("must not overlap batch.inputs.0");
    // Same bucket, disjoint prefixes: fine ("classifier" does not contain "classifier-old/").
    expect(() =>
      parseStageConfig({ stage: "t", region: "eu-west-1", batch: { ...BATCH, inputs: [{ bucket: "batch-results", prefix: "classifier-old/" }] } }, "b"),
    ).not.toThrow();
  });

  it("refuses EXPRESS children with a timeout they cannot finish within", () => {
    expect(problemsOf({ batch: { ...BATCH, executionType: "EXPRESS" } })).toContain(
      "batch.timeoutSeconds: must be under 300 with executionType EXPRESS",
    );
  });

  it("refuses a batch memory too small for the stage's limits with S3 input", () => {
    expect(problemsOf({ batch: { ...BATCH, memoryMb: 512 } })).toMatch(/batch\.memoryMb: must be at least \d+: the batch function reads from S3/);
    expect(problemsOf({ memoryMb: 1536, batch: BATCH })).toMatch(/batch\.memoryMb: must be at least \d+ \(it defaults to the stage's memoryMb, 1536\)/);
  });

  it("warns when reserved concurrency is below the map's concurrency, and only then", () => {
    const tight = synthesize({ batch: { ...BATCH, maxConcurrency: 200, reservedConcurrency: 50 } });
    expect(tight.warnings).toHaveLength(1);
    expect(tight.warnings[0]).toMatch(/batch\.reservedConcurrency \(50\) is below batch\.maxConcurrency \(200\)/);
    expect(s.warnings).toEqual([]);
  });
});
