import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity/index.js";
import { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { join, relative, resolve } from "node:path";
import { Annotations, App, LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { BatchScoring } from "./batch/batch-scoring.js";
import { dockerContextHash } from "./docker-context.js";
import type { StageConfig } from "./config.js";
import { FunctionAlarms } from "./constructs/alarms.js";
import { ContainerImage } from "./constructs/container-image.js";
import { ExecutionRole, type OwnedS3Input } from "./constructs/execution-role.js";
import { ProvisionedConcurrency } from "./constructs/provisioned-concurrency.js";
import { FargateService } from "./fargate/fargate-service.js";
import { repositoryArnOf } from "./fargate/task-execution-role.js";
import { functionEnvironment } from "./function-environment.js";

export const ALIAS_NAME = "live";
/** `invoked_via_function_url` on aws_lambda_permission arrived in the AWS provider 6.29.0 (the bindings are 6.25.0). */
export const AWS_PROVIDER_FOR_URL_SCOPED_INVOKE = ">= 6.29.0, < 7.0.0";

export interface ClassifierStackProps {
  config: StageConfig;
  /** Absolute path of the repository root: the Docker build context and the source of the build-input hash. */
  projectRoot: string;
  /** Precomputed hash of the build inputs (defaults to hashing `projectRoot`). */
  buildInputsHash?: string;
}

/** One stage of the classifier: image, function, alias `live`, provisioned concurrency, function URL, alarms. */
export class ClassifierStack extends TerraformStack {
  readonly function: LambdaFunction;
  readonly alias: LambdaAlias;
  readonly functionUrl: LambdaFunctionUrl;
  /** Present when the stage has a `batch` block. */
  readonly batch?: BatchScoring;
  /** Present when the stage has an enabled `fargate` block. */
  readonly fargate?: FargateService;
  private deployingAccountId?: string;

  constructor(scope: Construct, id: string, props: ClassifierStackProps) {
    super(scope, id);
    const { config } = props;
    const name = config.functionName;

    new AwsProvider(this, "aws", {
      region: config.region,
      defaultTags: [{ tags: { Project: config.project, Stage: config.stage, ManagedBy: "cdktf", ...config.tags } }],
    });
    if (config.backend) {
      const { bucket, key, region, encrypt, useLockfile, dynamodbTable } = config.backend;
      new S3Backend(this, { bucket, key, region, encrypt, dynamodbTable });
      // S3 native locking (Terraform ≥ 1.10, OpenTofu ≥ 1.10); cdktf 0.21's S3Backend has no typed field for it.
      if (useLockfile) this.addOverride("terraform.backend.s3.use_lockfile", true);
    } else {
      // State under the project root (terraform.tfstate* is in .gitignore and .dockerignore), by a path relative
      // to cdktf.out/stacks/<stack> where terraform runs, so the JSON carries no machine-specific absolute path.
      const stackDir = resolve(App.of(this).outdir, "stacks", id);
      new LocalBackend(this, { path: relative(stackDir, join(props.projectRoot, "terraform.tfstate.d", `${id}.tfstate`)) });
    }

    const logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: `/aws/lambda/${name}`,
      retentionInDays: config.logging.retentionDays,
    });

    const s3 = this.s3Inputs(config);
    const execution = new ExecutionRole(this, "execution", {
      roleName: `${name.slice(0, 59)}-role`,
      logGroupArn: logGroup.arn,
      s3Inputs: s3.inputs,
      tracing: config.tracing,
    });

    const image = config.image.uri
      ? existingImage(config.image.uri)
      : new ContainerImage(this, "image", {
          repositoryName: config.image.repositoryName,
          keepLastImages: config.image.keepLastImages,
          forceDelete: config.image.forceDelete,
          architecture: config.architecture,
          baseImage: config.image.baseImage,
          buildContext: props.projectRoot,
          contentHash: props.buildInputsHash ?? dockerContextHash(props.projectRoot),
        });
    const repositoryUrl = image instanceof ContainerImage ? image.repository.repositoryUrl : image.repositoryUrl;

    this.function = new LambdaFunction(this, "function", {
      functionName: name,
      role: execution.role.arn,
      packageType: "Image",
      imageUri: image.imageUri,
      architectures: [config.architecture],
      memorySize: config.memoryMb,
      timeout: config.timeoutSeconds,
      ephemeralStorage: { size: config.ephemeralStorageMb },
      environment: { variables: functionEnvironment(config, s3.stageOwner) },
      loggingConfig: {
        logFormat: "JSON",
        applicationLogLevel: config.logging.applicationLevel,
        systemLogLevel: config.logging.systemLevel,
        logGroup: logGroup.name,
      },
      publish: true,
      reservedConcurrentExecutions: config.reservedConcurrency,
      tracingConfig: config.tracing ? { mode: "Active" } : undefined,
      // The log group must exist before the first line, and the role's grants before the first invocation.
      dependsOn: [logGroup, ...execution.grants],
    });

    this.alias = new LambdaAlias(this, "alias", {
      name: ALIAS_NAME,
      functionName: this.function.functionName,
      functionVersion: this.function.version,
    });

    const pc = config.provisionedConcurrency;
    if (pc.count > 0 || pc.autoscaling) {
      new ProvisionedConcurrency(this, "provisioned-concurrency", {
        functionName: name,
        alias: this.alias,
        count: pc.count,
        autoscaling: pc.autoscaling,
      });
    }

    const cors = config.functionUrl.cors;
    this.functionUrl = new LambdaFunctionUrl(this, "function-url", {
      functionName: this.function.functionName,
      qualifier: this.alias.name,
      authorizationType: config.functionUrl.authType,
      invokeMode: "BUFFERED",
      cors: cors && {
        allowOrigins: cors.allowOrigins,
        allowMethods: cors.allowMethods,
        allowHeaders: cors.allowHeaders,
        exposeHeaders: cors.exposeHeaders,
        maxAge: cors.maxAgeSeconds,
        allowCredentials: cors.allowCredentials,
      },
    });

    if (config.functionUrl.authType === "NONE") this.allowPublicUrl();

    if (config.alarms.enabled) {
      new FunctionAlarms(this, "alarms", {
        functionName: name,
        aliasName: ALIAS_NAME,
        timeoutSeconds: config.timeoutSeconds,
        durationP99Ratio: config.alarms.durationP99Ratio,
        periodSeconds: config.alarms.periodSeconds,
        evaluationPeriods: config.alarms.evaluationPeriods,
        provisionedConcurrency: pc.count > 0 || pc.autoscaling !== undefined,
        snsTopicArn: config.alarms.snsTopicArn,
        createSnsTopic: config.alarms.createSnsTopic,
      });
    }

    const output = (id: string, value: string, description: string) => new TerraformOutput(this, id, { value, description });
    output("function_url", this.functionUrl.functionUrl, `Function URL on alias ${ALIAS_NAME} (${config.functionUrl.authType})`);
    output("function_name", this.function.functionName, "Lambda function name");
    output("alias_arn", this.alias.arn, `ARN of alias ${ALIAS_NAME}`);
    output("ecr_repository_url", repositoryUrl, "ECR repository holding the image");
    output("image_digest", image.digest, "sha256 digest of the deployed image");
    output("log_group_name", logGroup.name, "CloudWatch log group of the function");

    if (config.fargate?.enabled) {
      this.fargate = new FargateService(this, "fargate", {
        name,
        region: config.region,
        account: this.deployingAccount(),
        fargate: config.fargate,
        architecture: config.architecture,
        imageUri: image.imageUri,
        repositoryArn: image instanceof ContainerImage ? image.repository.arn : repositoryArnOf(image.repositoryUrl),
        functionEnvironment: functionEnvironment(config, s3.stageOwner),
        s3Inputs: s3.inputs,
        logRetentionDays: config.logging.retentionDays,
      });
      output("fargate_url", this.fargate.url, `Load balancer in front of the Fargate service (${config.fargate.certificateArn ? "HTTPS" : "HTTP"})`);
      output("fargate_cluster_name", this.fargate.cluster.cluster.name, "ECS cluster of the Fargate service");
      output("fargate_service_name", this.fargate.service.service.name, "ECS service running the server entry");
      output("fargate_log_group_name", this.fargate.logGroup.name, "CloudWatch log group of the Fargate tasks");
    }

    if (config.batch) {
      const defaultBucketOwner = config.s3InputExpectedBucketOwner ?? this.deployingAccount();
      this.batch = new BatchScoring(this, "batch", {
        stageFunctionName: name,
        region: config.region,
        account: this.deployingAccount(),
        batch: config.batch,
        stageS3Inputs: s3.inputs,
        defaultBucketOwner,
        environmentFor: (inputs, memoryMb) =>
          functionEnvironment({ ...config, memoryMb, s3InputAllowlist: inputs.map(withoutDefaultOwner(defaultBucketOwner)) }, defaultBucketOwner),
        imageUri: image.imageUri,
        architecture: config.architecture,
        stageMemoryMb: config.memoryMb,
        ephemeralStorageMb: config.ephemeralStorageMb,
        logRetentionDays: config.logging.retentionDays,
        applicationLogLevel: config.logging.applicationLevel,
        systemLogLevel: config.logging.systemLevel,
        tracing: config.tracing,
      });
    }
  }

  /** The account Terraform deploys into, read once (data.aws_caller_identity) and only when something needs it. */
  private deployingAccount(): string {
    return (this.deployingAccountId ??= new DataAwsCallerIdentity(this, "account", {}).accountId);
  }

  /**
   * The allowlist with each entry's bucket owner: its own, else the stage's, else the deploying account. A prefix
   * without a trailing `/` also matches its siblings (`uploads` matches `uploads-private/`), so it gets a warning.
   */
  private s3Inputs(config: StageConfig): { inputs: OwnedS3Input[]; stageOwner?: string } {
    const allowlist = config.s3InputAllowlist;
    if (allowlist.length === 0) return { inputs: [] };
    for (const { bucket, prefix } of allowlist.filter(({ prefix }) => prefix !== "" && !prefix.endsWith("/"))) {
      Annotations.of(this).addWarning(
        `s3InputAllowlist: prefix "${prefix}" of bucket ${bucket} has no trailing "/", so it also matches keys such as "${prefix}-other/…"`,
      );
    }
    const stageDefault = () => config.s3InputExpectedBucketOwner ?? this.deployingAccount();
    const inputs = allowlist.map(({ bucket, prefix, expectedBucketOwner }) => ({
      bucket,
      prefix,
      expectedBucketOwner: expectedBucketOwner ?? stageDefault(),
    }));
    return { inputs, stageOwner: config.s3InputExpectedBucketOwner ?? this.deployingAccountId };
  }

  /**
   * Since October 2025 a URL with auth NONE needs both statements. The InvokeFunction one is limited to calls that
   * arrive through the function URL, so "*" cannot call the Invoke API directly.
   */
  private allowPublicUrl(): void {
    new LambdaPermission(this, "url-public-access", {
      statementId: "AllowPublicFunctionUrl",
      action: "lambda:InvokeFunctionUrl",
      principal: "*",
      functionName: this.function.functionName,
      qualifier: this.alias.name,
      functionUrlAuthType: "NONE",
    });
    const invoke = new LambdaPermission(this, "url-invoke-function", {
      statementId: "AllowInvokeViaFunctionUrl",
      action: "lambda:InvokeFunction",
      principal: "*",
      functionName: this.function.functionName,
      qualifier: this.alias.name,
    });
    invoke.addOverride("invoked_via_function_url", true);
    this.addOverride("terraform.required_providers.aws.version", AWS_PROVIDER_FOR_URL_SCOPED_INVOKE);
  }
}

/** An allowlist entry as S3_INPUT_ALLOWLIST carries it: the owner only where it differs from S3_EXPECTED_BUCKET_OWNER. */
function withoutDefaultOwner(defaultOwner: string) {
  return ({ bucket, prefix, expectedBucketOwner }: OwnedS3Input) =>
    expectedBucketOwner === defaultOwner ? { bucket, prefix } : { bucket, prefix, expectedBucketOwner };
}

interface ExistingImage {
  imageUri: string;
  repositoryUrl: string;
  digest: string;
}

function existingImage(uri: string): ExistingImage {
  const digestAt = uri.indexOf("@");
  if (digestAt >= 0) return { imageUri: uri, repositoryUrl: uri.slice(0, digestAt), digest: uri.slice(digestAt + 1) };
  const tagAt = uri.lastIndexOf(":");
  // Referenced by tag: Lambda resolves the digest at deploy time; the output then names the tag.
  return { imageUri: uri, repositoryUrl: uri.slice(0, tagAt), digest: uri.slice(tagAt + 1) };
}
