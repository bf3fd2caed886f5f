import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { Construct } from "constructs";
import { ExecutionRole, type OwnedS3Input } from "../constructs/execution-role.js";

export const BATCH_ALIAS_NAME = "batch";

export interface BatchFunctionProps {
  readonly functionName: string;
  /** The stage function's image: the same code answers URL requests and batches. */
  readonly imageUri: string;
  readonly architecture: "x86_64" | "arm64";
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly ephemeralStorageMb: number;
  /** What batches may use at once, and never more. */
  readonly reservedConcurrency: number;
  /** The stage function's environment with this function's S3 allowlist and threads. */
  readonly environment: Record<string, string>;
  readonly logRetentionDays: number;
  readonly applicationLogLevel: string;
  readonly systemLogLevel: string;
  /** Everything S3_INPUT_ALLOWLIST names, with owners: the role may read exactly these. */
  readonly s3Inputs: OwnedS3Input[];
  readonly tracing: boolean;
}

/**
 * The function batches invoke: the stage's image as a function of its own, behind alias `batch`.
 *
 * A separate function, not only a second alias of the URL's: reserved concurrency is a property of the function, shared
 * by all its aliases and versions, so a batch of 10,000 children on an alias of the same function would take the
 * instances the URL needs (and its provisioned concurrency would serve batch traffic). Two functions have two pools.
 */
export class BatchFunction extends Construct {
  readonly function: LambdaFunction;
  readonly alias: LambdaAlias;
  readonly logGroup: CloudwatchLogGroup;
  readonly role: ExecutionRole;

  constructor(scope: Construct, id: string, props: BatchFunctionProps) {
    super(scope, id);
    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
    });
    this.role = new ExecutionRole(this, "execution", {
      roleName: `${props.functionName.slice(0, 59)}-role`,
      logGroupArn: this.logGroup.arn,
      s3Inputs: props.s3Inputs,
      tracing: props.tracing,
    });
    this.function = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      role: this.role.role.arn,
      packageType: "Image",
      imageUri: props.imageUri,
      architectures: [props.architecture],
      memorySize: props.memoryMb,
      timeout: props.timeoutSeconds,
      ephemeralStorage: { size: props.ephemeralStorageMb },
      environment: { variables: props.environment },
      loggingConfig: {
        logFormat: "JSON",
        applicationLogLevel: props.applicationLogLevel,
        systemLogLevel: props.systemLogLevel,
        logGroup: this.logGroup.name,
      },
      publish: true,
      reservedConcurrentExecutions: props.reservedConcurrency,
      tracingConfig: props.tracing ? { mode: "Active" } : undefined,
      dependsOn: [this.logGroup, ...this.role.grants],
    });
    this.alias = new LambdaAlias(this, "alias", {
      name: BATCH_ALIAS_NAME,
      functionName: this.function.functionName,
      functionVersion: this.function.version,
    });
  }
}
