import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { SfnStateMachine } from "@cdktf/provider-aws/lib/sfn-state-machine/index.js";
import { Annotations, TerraformOutput } from "cdktf";
import { Construct } from "constructs";
import type { OwnedS3Input } from "../constructs/execution-role.js";
import { type BatchConfig, RESULTS_MANIFESTS_FOLDER, batchWarnings, resultsFolder } from "./batch-config.js";
import { BatchFunction } from "./batch-function.js";
import { BatchOperationsRole } from "./batch-operations-role.js";
import { batchStateMachineDefinition } from "./state-machine-definition.js";
import { StateMachineRole } from "./state-machine-role.js";

/** The TerraformOutput names the CLI reads (cdktf.out/outputs.json, or `terraform output`). */
export const BATCH_OUTPUTS = {
  stateMachineArn: "batch_state_machine_arn",
  functionAliasArn: "batch_function_alias_arn",
  batchOperationsRoleArn: "batch_operations_role_arn",
  resultsBucket: "batch_results_bucket",
  resultsPrefix: "batch_results_prefix",
  manifestsPrefix: "batch_manifests_prefix",
  functionName: "batch_function_name",
} as const;

export interface BatchScoringProps {
  /** The stage function's name; the batch resources are named after it. */
  readonly stageFunctionName: string;
  readonly region: string;
  /** The deploying account (a Terraform reference): ARNs of the state machine and trust conditions. */
  readonly account: string;
  readonly batch: BatchConfig;
  /** The stage's S3 allowlist, with owners; the batch inputs are added to it for the batch function. */
  readonly stageS3Inputs: OwnedS3Input[];
  /** The owner of a batch bucket whose entry names none: the stage's, else the deploying account. */
  readonly defaultBucketOwner: string;
  /** The batch function's environment, built by the stack from the stage's with `s3Inputs` as the allowlist. */
  readonly environmentFor: (s3Inputs: OwnedS3Input[], memoryMb: number) => Record<string, string>;
  readonly imageUri: string;
  readonly architecture: "x86_64" | "arm64";
  readonly stageMemoryMb: number;
  readonly ephemeralStorageMb: number;
  readonly logRetentionDays: number;
  readonly applicationLogLevel: string;
  readonly systemLogLevel: string;
  readonly tracing: boolean;
}

const key = ({ bucket, prefix, expectedBucketOwner }: OwnedS3Input) => `${expectedBucketOwner} ${bucket} ${prefix}`;
const dedupe = (inputs: OwnedS3Input[]) => [...new Map(inputs.map((input) => [key(input), input])).values()];

/**
 * Batch scoring of one stage: the Distributed Map state machine, the batch function behind alias `batch`, the roles of
 * the state machine and of S3 Batch Operations, and the outputs the CLI reads.
 */
export class BatchScoring extends Construct {
  readonly function: BatchFunction;
  readonly stateMachine: SfnStateMachine;
  readonly stateMachineRole: StateMachineRole;
  readonly batchOperationsRole?: BatchOperationsRole;

  constructor(scope: Construct, id: string, props: BatchScoringProps) {
    super(scope, id);
    const { batch } = props;
    for (const warning of batchWarnings(batch)) Annotations.of(this).addWarning(warning);

    const owned = <T extends { expectedBucketOwner?: string | undefined }>(entry: T) => ({
      ...entry,
      expectedBucketOwner: entry.expectedBucketOwner ?? props.defaultBucketOwner,
    });
    const inputs = batch.inputs.map(owned);
    const results = owned({ bucket: batch.results.bucket, prefix: resultsFolder(batch.results), expectedBucketOwner: batch.results.expectedBucketOwner });
    const manifests = [...batch.manifests.map(owned), { ...results, prefix: `${results.prefix}${RESULTS_MANIFESTS_FOLDER}` }];

    const name = `${props.stageFunctionName.slice(0, 58)}-batch`;
    const memoryMb = batch.memoryMb ?? props.stageMemoryMb;
    const functionInputs = dedupe([...props.stageS3Inputs, ...inputs]);
    const retentionDays = batch.logging.retentionDays ?? props.logRetentionDays;
    this.function = new BatchFunction(this, "function", {
      functionName: name,
      imageUri: props.imageUri,
      architecture: props.architecture,
      memoryMb,
      timeoutSeconds: batch.timeoutSeconds,
      ephemeralStorageMb: props.ephemeralStorageMb,
      reservedConcurrency: batch.reservedConcurrency,
      environment: props.environmentFor(functionInputs, memoryMb),
      logRetentionDays: retentionDays,
      applicationLogLevel: props.applicationLogLevel,
      systemLogLevel: props.systemLogLevel,
      s3Inputs: functionInputs,
      tracing: props.tracing,
    });
    const aliasArn = this.function.alias.arn;

    // Under /aws/vendedlogs/: AWS's advice for vended logs, so deliveries do not grow the account's resource policy.
    const logGroup = new CloudwatchLogGroup(this, "state-machine-log-group", {
      name: `/aws/vendedlogs/states/${name}`,
      retentionInDays: retentionDays,
    });
    const statesArn = (resource: string) => `arn:aws:states:${props.region}:${props.account}:${resource}`;
    this.stateMachineRole = new StateMachineRole(this, "state-machine-role", {
      roleName: `${props.stageFunctionName.slice(0, 54)}-batch-sfn`,
      account: props.account,
      stateMachineArn: statesArn(`stateMachine:${name}`),
      // Child executions are named `<state machine>/<map run label>:<id>`; the parent's own are not covered.
      childExecutionsArn: statesArn(`execution:${name}/*`),
      functionAliasArn: aliasArn,
      logGroupArn: logGroup.arn,
      inputs,
      manifests,
      results,
    });

    const definition = batchStateMachineDefinition({
      functionArn: aliasArn,
      resultsBucket: batch.results.bucket,
      resultsPrefix: batch.results.prefix,
      maxItemsPerBatch: batch.maxItemsPerBatch,
      maxConcurrency: batch.maxConcurrency,
      toleratedFailurePercentage: batch.toleratedFailurePercentage,
      executionType: batch.executionType,
    });
    this.stateMachine = new SfnStateMachine(this, "state-machine", {
      name,
      // The parent is always STANDARD (it waits for map runs of any length); executionType is the children's.
      type: "STANDARD",
      roleArn: this.stateMachineRole.role.arn,
      definition: JSON.stringify(definition),
      loggingConfiguration: {
        level: batch.logging.level,
        includeExecutionData: batch.logging.includeExecutionData,
        logDestination: `${logGroup.arn}:*`,
      },
      // Creation checks that the role may deliver logs: the policy must be in place first.
      dependsOn: [this.stateMachineRole.policy, logGroup],
    });

    if (batch.batchOperations.enabled) {
      this.batchOperationsRole = new BatchOperationsRole(this, "batch-operations-role", {
        roleName: `${props.stageFunctionName.slice(0, 51)}-batch-s3ops`,
        account: props.account,
        functionAliasArn: aliasArn,
        manifests,
        reports: results,
      });
    }

    const output = (id: string, value: string, description: string) => new TerraformOutput(this, id, { value, description, staticId: true });
    output(BATCH_OUTPUTS.stateMachineArn, this.stateMachine.arn, "Batch state machine (npm run batch -- --target stepfunctions:<arn>)");
    output(BATCH_OUTPUTS.functionAliasArn, aliasArn, "Alias batch of the batch function (what batches invoke)");
    output(BATCH_OUTPUTS.functionName, this.function.function.functionName, "Batch function name");
    if (this.batchOperationsRole) {
      output(BATCH_OUTPUTS.batchOperationsRoleArn, this.batchOperationsRole.role.arn, "Role for S3 Batch Operations jobs");
    }
    output(BATCH_OUTPUTS.resultsBucket, batch.results.bucket, "Bucket of the batch results (ResultWriter, job reports)");
    output(BATCH_OUTPUTS.resultsPrefix, batch.results.prefix, "Results prefix: files under <prefix>/<map run id>/");
    output(BATCH_OUTPUTS.manifestsPrefix, `${results.prefix}${RESULTS_MANIFESTS_FOLDER}`, "Where manifests written for batches go (readable by the state machine and jobs)");
  }
}
