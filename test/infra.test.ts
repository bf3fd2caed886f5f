import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy/index.js";
import { AppautoscalingScheduledAction } from "@cdktf/provider-aws/lib/appautoscaling-scheduled-action/index.js";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target/index.js";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import { DataAwsEcrAuthorizationToken } from "@cdktf/provider-aws/lib/data-aws-ecr-authorization-token/index.js";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy/index.js";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js";
import { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import { LambdaProvisionedConcurrencyConfig } from "@cdktf/provider-aws/lib/lambda-provisioned-concurrency-config/index.js";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic/index.js";
import { Image } from "@cdktf/provider-docker/lib/image/index.js";
import { RegistryImage } from "@cdktf/provider-docker/lib/registry-image/index.js";
import { Testing } from "cdktf";
import { beforeAll, describe, expect, it } from "vitest";
import { dockerContextHash } from "../infra/docker-context.js";
import { ALIAS_NAME, AWS_PROVIDER_FOR_URL_SCOPED_INVOKE, ClassifierStack } from "../infra/classifier-stack.js";
import { parseStageConfig, type StageConfigInput } from "../infra/config.js";
import { FunctionAlarms } from "../infra/constructs/alarms.js";
import { imageInputsHash } from "../infra/constructs/container-image.js";
import { XRAY_WRITE_POLICY_ARN } from "../infra/constructs/execution-role.js";

const PROJECT_ROOT = resolve(fileURLToPath(import.meta.url), "../..");

type Json = Record<string, any>;
interface Synthesized {
  json: string;
  tf: Json;
  name: string;
}

type Variant = Omit<StageConfigInput, "stage" | "region"> & { region?: string };

function synthesize(variant: string, input: Variant): Synthesized {
  const config = parseStageConfig({ stage: "test", region: "eu-west-1", ...input }, variant);
  const stack = new ClassifierStack(Testing.app(), "classifier-test", { config, projectRoot: PROJECT_ROOT, buildInputsHash: HASH });
  const json = Testing.synth(stack);
  return { json, tf: JSON.parse(json) as Json, name: config.functionName };
}

const BASE: Variant = { provisionedConcurrency: { count: 1 } };
const FULL: Variant = {
  functionName: "classifier-public",
  architecture: "arm64",
  memoryMb: 10_240,
  timeoutSeconds: 60,
  ephemeralStorageMb: 2048,
  reservedConcurrency: 20,
  tracing: true,
  logging: { retentionDays: 90, applicationLevel: "WARN", systemLevel: "INFO" },
  limits: { maxBatchImages: 8, maxImagePixels: 20_000_000, topKDefault: 3, maxS3ObjectBytes: 5_000_000 },
  environment: { EXTRA_SETTING: "on" },
  s3InputAllowlist: [{ bucket: "input-bucket", prefix: "images/" }, { bucket: "other-bucket" }],
  image: { keepLastImages: 3, forceDelete: true, nodeMajor: 22 },
  provisionedConcurrency: {
    count: 2,
    autoscaling: {
      minCapacity: 1,
      maxCapacity: 5,
      scheduledActions: [{ name: "morning", schedule: "cron(0 7 * * ? *)", timezone: "Europe/Paris", minCapacity: 3, maxCapacity: 5 }],
    },
  },
  functionUrl: {
    authType: "NONE",
    cors: { allowOrigins: ["https://example.com"], allowMethods: ["POST"], allowHeaders: ["content-type"], maxAgeSeconds: 600 },
  },
  alarms: { createSnsTopic: true, durationP99Ratio: 0.5 },
  backend: { bucket: "tf-state-bucket" },
};
const EXISTING_URI = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/classifier@sha256:${"ab".repeat(32)}`;
const EXISTING: Variant = { image: { uri: EXISTING_URI }, alarms: { enabled: false } };

// One synthesis per configuration variant, read (never changed) by every test below.
let HASH: string;
let base: Synthesized;
let full: Synthesized;
let existing: Synthesized;
beforeAll(() => {
  HASH = dockerContextHash(PROJECT_ROOT);
  base = synthesize("base (defaults, provisioned concurrency 1)", BASE);
  full = synthesize("full (arm64, URL auth NONE, S3, X-Ray, autoscaling, S3 backend)", FULL);
  existing = synthesize("existing image (no build, no PC, no alarms)", EXISTING);
});

const has = (s: Synthesized, type: string, properties: Json = {}) => Testing.toHaveResourceWithProperties(s.json, type, properties);
const resourcesOf = (s: Synthesized, type: string): [string, Json][] => Object.entries(s.tf.resource?.[type] ?? {});
const only = (s: Synthesized, type: string): [string, Json] => {
  const found = resourcesOf(s, type);
  expect(found, `exactly one ${type}`).toHaveLength(1);
  return found[0]!;
};
const ref = (s: Synthesized, type: string, attribute: string) => `\${${type}.${only(s, type)[0]}.${attribute}}`;

/** Every string under a key named action/Action, anywhere in the document (IAM statements, permissions, …). */
function actionStrings(value: unknown, inAction = false): string[] {
  if (typeof value === "string") return inAction ? [value] : [];
  if (Array.isArray(value)) return value.flatMap((item) => actionStrings(item, inAction));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, inner]) => actionStrings(inner, key.toLowerCase() === "action"));
  }
  return [];
}

/** The statements of every inline IAM document (trust policy and role policies), parsed. */
function iamStatements(s: Synthesized): Json[] {
  const documents = [
    ...resourcesOf(s, IamRole.tfResourceType).map(([, role]) => role.assume_role_policy as string),
    ...resourcesOf(s, IamRolePolicy.tfResourceType).map(([, policy]) => policy.policy as string),
  ];
  return documents.flatMap((document) => (JSON.parse(document) as { Statement: Json[] }).Statement);
}
const asList = (value: unknown): string[] => (value === undefined ? [] : Array.isArray(value) ? [...(value as string[])] : [value as string]);

describe("ECR repository and image build", () => {
  it("creates a scanned, immutable repository that is force-deleted only when asked", () => {
    expect(
      has(base, EcrRepository.tfResourceType, {
        name: base.name,
        image_tag_mutability: "IMMUTABLE",
        image_scanning_configuration: { scan_on_push: true },
        force_delete: false,
      }),
    ).toBe(true);
    expect(has(full, EcrRepository.tfResourceType, { force_delete: true })).toBe(true);
    expect(has(full, EcrRepository.tfResourceType, { force_delete: false })).toBe(false);
  });

  it("expires only untagged images beyond the last N", () => {
    for (const [s, keep] of [[base, 10], [full, 3]] as const) {
      const [, lifecycle] = only(s, EcrLifecyclePolicy.tfResourceType);
      expect(lifecycle.repository).toBe(ref(s, EcrRepository.tfResourceType, "name"));
      const rules = JSON.parse(lifecycle.policy).rules;
      expect(rules).toEqual([
        expect.objectContaining({
          selection: { tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: keep },
          action: { type: "expire" },
        }),
      ]);
    }
  });

  it("authenticates the docker provider with the ECR authorization token", () => {
    expect(Testing.toHaveDataSource(base.json, DataAwsEcrAuthorizationToken.tfResourceType)).toBe(true);
    const tokenId = Object.keys(base.tf.data[DataAwsEcrAuthorizationToken.tfResourceType])[0];
    const token = `data.${DataAwsEcrAuthorizationToken.tfResourceType}.${tokenId}`;
    // Readable at plan time: it must not wait for any resource of the stack.
    expect(base.tf.data[DataAwsEcrAuthorizationToken.tfResourceType][tokenId!]).toEqual({});
    expect(
      Testing.toHaveProviderWithProperties(base.json, "docker", {
        registry_auth: [
          {
            address: `\${replace(${token}.proxy_endpoint, "https://", "")}`,
            username: `\${${token}.user_name}`,
            password: `\${${token}.password}`,
          },
        ],
      }),
    ).toBe(true);
  });

  it("builds this repository's Dockerfile from an absolute context for the function's platform", () => {
    for (const [s, platform, targetArch] of [[base, "linux/amd64", "amd64"], [full, "linux/arm64", "arm64"]] as const) {
      const [, image] = only(s, Image.tfResourceType);
      expect(image.build.platform).toBe(platform);
      expect(image.build.build_args).toEqual({ BASE_IMAGE: "public.ecr.aws/lambda/nodejs:22", TARGETARCH: targetArch });
      expect(isAbsolute(image.build.context)).toBe(true);
      expect(image.build.context).toBe(PROJECT_ROOT);
      expect(existsSync(join(image.build.context, image.build.dockerfile))).toBe(true);
      expect(image.build.builder, "the engine builder adds no provenance attestation").toBeUndefined();
    }
    const [, fn] = only(full, LambdaFunction.tfResourceType);
    expect(fn.architectures).toEqual(["arm64"]);
    expect(only(base, LambdaFunction.tfResourceType)[1].architectures).toEqual(["x86_64"]);
  });

  it("tags and triggers the build with the hash of the build inputs (context, build arguments, platform)", () => {
    const [, image] = only(base, Image.tfResourceType);
    expect(HASH).toMatch(/^[a-f0-9]{64}$/);
    const inputs = imageInputsHash(HASH, { BASE_IMAGE: "public.ecr.aws/lambda/nodejs:22", TARGETARCH: "amd64" }, "linux/amd64");
    expect(image.triggers).toEqual({ buildInputsSha256: inputs });
    expect(image.name).toBe(`${ref(base, EcrRepository.tfResourceType, "repository_url")}:src-${inputs.slice(0, 32)}`);
    expect(
      has(base, RegistryImage.tfResourceType, {
        name: ref(base, Image.tfResourceType, "name"),
        keep_remotely: true,
        triggers: { buildInputsSha256: inputs },
      }),
    ).toBe(true);
  });

  it("references the pushed image by digest in the function", () => {
    const [, fn] = only(base, LambdaFunction.tfResourceType);
    expect(fn.image_uri).toBe(
      `${ref(base, EcrRepository.tfResourceType, "repository_url")}@${ref(base, RegistryImage.tfResourceType, "sha256_digest")}`,
    );
  });

  it("uses an existing image URI as given and builds nothing", () => {
    expect(existing.json).not.toMatch(/docker_|"docker"|aws_ecr_authorization_token/);
    expect(Testing.toHaveResource(existing.json, EcrRepository.tfResourceType)).toBe(false);
    expect(existing.tf.terraform.required_providers.docker).toBeUndefined();
    expect(has(existing, LambdaFunction.tfResourceType, { image_uri: EXISTING_URI, package_type: "Image" })).toBe(true);
    expect(existing.tf.output.image_digest.value).toBe(`sha256:${"ab".repeat(32)}`);
    expect(existing.tf.output.ecr_repository_url.value).toBe("123456789012.dkr.ecr.eu-west-1.amazonaws.com/classifier");
  });
});

describe("function, role and log group", () => {
  it("configures the function from the stage config", () => {
    expect(
      has(base, LambdaFunction.tfResourceType, {
        function_name: base.name,
        package_type: "Image",
        memory_size: 2048,
        timeout: 30,
        ephemeral_storage: { size: 512 },
        publish: true,
        role: ref(base, IamRole.tfResourceType, "arn"),
        logging_config: {
          log_format: "JSON",
          application_log_level: "INFO",
          system_log_level: "WARN",
          log_group: ref(base, CloudwatchLogGroup.tfResourceType, "name"),
        },
      }),
    ).toBe(true);
    const [, fn] = only(base, LambdaFunction.tfResourceType);
    expect(fn.reserved_concurrent_executions).toBeUndefined();
    expect(fn.tracing_config).toBeUndefined();
    expect(fn.depends_on).toContain(`${CloudwatchLogGroup.tfResourceType}.${only(base, CloudwatchLogGroup.tfResourceType)[0]}`);
    expect(
      has(full, LambdaFunction.tfResourceType, {
        memory_size: 10_240,
        timeout: 60,
        ephemeral_storage: { size: 2048 },
        reserved_concurrent_executions: 20,
        tracing_config: { mode: "Active" },
        logging_config: { application_log_level: "WARN", system_log_level: "INFO" },
      }),
    ).toBe(true);
  });

  it("sets threads from memory, Powertools settings, limits and the S3 allowlist in the environment", () => {
    expect(only(base, LambdaFunction.tfResourceType)[1].environment.variables).toEqual({
      ORT_INTRA_OP_THREADS: "1",
      POWERTOOLS_SERVICE_NAME: "image-classifier",
      POWERTOOLS_METRICS_NAMESPACE: "ImageClassifier",
      POWERTOOLS_LOG_LEVEL: "INFO",
      S3_INPUT_ALLOWLIST: "[]",
    });
    expect(only(full, LambdaFunction.tfResourceType)[1].environment.variables).toEqual({
      ORT_INTRA_OP_THREADS: "6",
      POWERTOOLS_SERVICE_NAME: "image-classifier",
      POWERTOOLS_METRICS_NAMESPACE: "ImageClassifier",
      POWERTOOLS_LOG_LEVEL: "WARN",
      S3_INPUT_ALLOWLIST: '[{"bucket":"input-bucket","prefix":"images/"},{"bucket":"other-bucket","prefix":""}]',
      S3_EXPECTED_BUCKET_OWNER: "${data.aws_caller_identity.account.account_id}",
      MAX_BATCH_IMAGES: "8",
      MAX_IMAGE_PIXELS: "20000000",
      S3_MAX_OBJECT_BYTES: "5000000",
      TOP_K_DEFAULT: "3",
      EXTRA_SETTING: "on",
    });
  });

  it("creates the log group /aws/lambda/<name> with retention", () => {
    expect(has(base, CloudwatchLogGroup.tfResourceType, { name: `/aws/lambda/${base.name}`, retention_in_days: 30 })).toBe(true);
    expect(has(full, CloudwatchLogGroup.tfResourceType, { name: "/aws/lambda/classifier-public", retention_in_days: 90 })).toBe(true);
  });

  it("trusts lambda.amazonaws.com and attaches no managed policy but X-Ray (only with tracing)", () => {
    for (const s of [base, full]) {
      const [, role] = only(s, IamRole.tfResourceType);
      expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
        { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
      ]);
    }
    const attached = (s: Synthesized) => resourcesOf(s, IamRolePolicyAttachment.tfResourceType).map(([, a]) => a.policy_arn).sort();
    expect(attached(base)).toEqual([]);
    expect(attached(full)).toEqual([XRAY_WRITE_POLICY_ARN]);
  });

  it("grants s3:GetObject only on the configured prefixes, and no S3 statement by default", () => {
    expect(iamStatements(base).flatMap((statement) => asList(statement.Action)).filter((a) => a.startsWith("s3:"))).toEqual([]);
    const s3 = iamStatements(full).filter((statement) => asList(statement.Action).some((a) => a.startsWith("s3:")));
    expect(s3).toHaveLength(1);
    expect(asList(s3[0]!.Action)).toEqual(["s3:GetObject"]);
    expect(asList(s3[0]!.Resource).sort()).toEqual(["arn:aws:s3:::input-bucket/images/*", "arn:aws:s3:::other-bucket/*"]);
  });

  it("has no wildcard action anywhere and no resource beyond the log group's streams and the S3 prefixes", () => {
    for (const s of [base, full, existing]) {
      const actions = [...actionStrings(s.tf), ...iamStatements(s).flatMap((statement) => asList(statement.Action))];
      expect(actions.length).toBeGreaterThan(0);
      for (const action of actions) expect(action, `action ${action}`).not.toContain("*");
      const resources = iamStatements(s).flatMap((statement) => asList(statement.Resource));
      const logStreams = `${ref(s, CloudwatchLogGroup.tfResourceType, "arn")}:*`;
      const allowed = s === full ? [logStreams, "arn:aws:s3:::input-bucket/images/*", "arn:aws:s3:::other-bucket/*"] : [logStreams];
      expect(resources.sort()).toEqual(allowed.sort());
    }
  });
});

describe("alias, provisioned concurrency and autoscaling", () => {
  it("points alias live at the published version", () => {
    expect(
      has(base, LambdaAlias.tfResourceType, {
        name: ALIAS_NAME,
        function_name: ref(base, LambdaFunction.tfResourceType, "function_name"),
        function_version: ref(base, LambdaFunction.tfResourceType, "version"),
      }),
    ).toBe(true);
  });

  it("puts provisioned concurrency on the alias, never on $LATEST", () => {
    const [, pc] = only(base, LambdaProvisionedConcurrencyConfig.tfResourceType);
    const alias = `${LambdaAlias.tfResourceType}.${only(base, LambdaAlias.tfResourceType)[0]}`;
    expect(pc.qualifier).toBe(ref(base, LambdaAlias.tfResourceType, "name"));
    expect(pc.provisioned_concurrent_executions).toBe(1);
    expect(pc.depends_on).toEqual([alias]);
    expect(pc.lifecycle).toBeUndefined();
    for (const s of [base, full, existing]) expect(s.json).not.toContain("$LATEST");
    expect(Testing.toHaveResource(existing.json, LambdaProvisionedConcurrencyConfig.tfResourceType)).toBe(false);
  });

  it("scales provisioned concurrency on utilization of the alias when configured", () => {
    expect(Testing.toHaveResource(base.json, AppautoscalingTarget.tfResourceType)).toBe(false);
    const aliasName = ref(full, LambdaAlias.tfResourceType, "name");
    expect(
      has(full, AppautoscalingTarget.tfResourceType, {
        service_namespace: "lambda",
        scalable_dimension: "lambda:function:ProvisionedConcurrency",
        resource_id: `function:classifier-public:${aliasName}`,
        min_capacity: 1,
        max_capacity: 5,
      }),
    ).toBe(true);
    const target = (attribute: string) => ref(full, AppautoscalingTarget.tfResourceType, attribute);
    expect(
      has(full, AppautoscalingPolicy.tfResourceType, {
        policy_type: "TargetTrackingScaling",
        resource_id: target("resource_id"),
        scalable_dimension: target("scalable_dimension"),
        service_namespace: target("service_namespace"),
        target_tracking_scaling_policy_configuration: {
          target_value: 0.7,
          predefined_metric_specification: { predefined_metric_type: "LambdaProvisionedConcurrencyUtilization" },
        },
      }),
    ).toBe(true);
    expect(
      has(full, AppautoscalingScheduledAction.tfResourceType, {
        resource_id: target("resource_id"),
        schedule: "cron(0 7 * * ? *)",
        timezone: "Europe/Paris",
        scalable_target_action: { min_capacity: "3", max_capacity: "5" },
      }),
    ).toBe(true);
    const [, pc] = only(full, LambdaProvisionedConcurrencyConfig.tfResourceType);
    expect(pc.provisioned_concurrent_executions).toBe(2);
    expect(pc.lifecycle).toEqual({ ignore_changes: ["provisioned_concurrent_executions"] });
  });
});

describe("function URL", () => {
  it("serves the alias with IAM auth by default and adds no public permission", () => {
    expect(
      has(base, LambdaFunctionUrl.tfResourceType, {
        function_name: ref(base, LambdaFunction.tfResourceType, "function_name"),
        qualifier: ref(base, LambdaAlias.tfResourceType, "name"),
        authorization_type: "AWS_IAM",
        invoke_mode: "BUFFERED",
      }),
    ).toBe(true);
    expect(only(base, LambdaFunctionUrl.tfResourceType)[1].cors).toBeUndefined();
    for (const s of [base, existing]) expect(Testing.toHaveResource(s.json, LambdaPermission.tfResourceType)).toBe(false);
    expect(base.tf.terraform.required_providers.aws.version).toBe("6.25.0");
  });

  it("with auth NONE adds both invoke permissions on the alias, InvokeFunction limited to URL calls", () => {
    const alias = ref(full, LambdaAlias.tfResourceType, "name");
    expect(has(full, LambdaFunctionUrl.tfResourceType, { qualifier: alias, authorization_type: "NONE", invoke_mode: "BUFFERED" })).toBe(true);
    const permissions = resourcesOf(full, LambdaPermission.tfResourceType).map(([, p]) => p);
    expect(permissions).toHaveLength(2);
    const common = { principal: "*", qualifier: alias, function_name: ref(full, LambdaFunction.tfResourceType, "function_name") };
    expect(has(full, LambdaPermission.tfResourceType, { ...common, action: "lambda:InvokeFunctionUrl", function_url_auth_type: "NONE" })).toBe(true);
    expect(has(full, LambdaPermission.tfResourceType, { ...common, action: "lambda:InvokeFunction", invoked_via_function_url: true })).toBe(true);
    expect(full.tf.terraform.required_providers.aws.version).toBe(AWS_PROVIDER_FOR_URL_SCOPED_INVOKE);
  });

  it("maps CORS from config", () => {
    expect(
      has(full, LambdaFunctionUrl.tfResourceType, {
        cors: {
          allow_origins: ["https://example.com"],
          allow_methods: ["POST"],
          allow_headers: ["content-type"],
          expose_headers: [],
          max_age: 600,
          allow_credentials: false,
        },
      }),
    ).toBe(true);
  });
});

describe("alarms", () => {
  const alarms = (s: Synthesized): Record<string, Json> => Object.fromEntries(resourcesOf(s, CloudwatchMetricAlarm.tfResourceType).map(([, a]) => [a.metric_name, a]));

  it("alarms on errors, throttles, p99 duration against the timeout and spillover on the alias", () => {
    const byMetric = alarms(base);
    expect(Object.keys(byMetric).sort()).toEqual(["Duration", "Errors", "ProvisionedConcurrencySpilloverInvocations", "Throttles"]);
    for (const alarm of Object.values(byMetric)) {
      expect(alarm.namespace).toBe("AWS/Lambda");
      expect(alarm.comparison_operator).toBe("GreaterThanThreshold");
      expect(alarm.alarm_actions).toEqual([]);
    }
    expect(byMetric.Errors).toMatchObject({ statistic: "Sum", threshold: 0, dimensions: { FunctionName: base.name } });
    expect(byMetric.Throttles).toMatchObject({ statistic: "Sum", threshold: 0, dimensions: { FunctionName: base.name } });
    expect(byMetric.Duration).toMatchObject({ extended_statistic: "p99", threshold: 24_000 });
    expect(byMetric.ProvisionedConcurrencySpilloverInvocations?.dimensions).toEqual({
      FunctionName: base.name,
      Resource: `${base.name}:${ALIAS_NAME}`,
    });
    expect(alarms(full).Duration?.threshold).toBe(30_000);
  });

  it("notifies a created SNS topic, and alarms can be switched off", () => {
    const topic = ref(full, SnsTopic.tfResourceType, "arn");
    for (const alarm of Object.values(alarms(full))) {
      expect(alarm.alarm_actions).toEqual([topic]);
      expect(alarm.ok_actions).toEqual([topic]);
    }
    expect(Testing.toHaveResource(existing.json, CloudwatchMetricAlarm.tfResourceType)).toBe(false);
  });

  it("adds no spillover alarm when the stage has no provisioned concurrency, and notifies a given topic", () => {
    const topicArn = "arn:aws:sns:eu-west-1:123456789012:ops";
    const json = Testing.synthScope((scope) => {
      new FunctionAlarms(scope, "alarms", {
        functionName: "fn",
        aliasName: ALIAS_NAME,
        timeoutSeconds: 10,
        durationP99Ratio: 0.8,
        periodSeconds: 60,
        evaluationPeriods: 5,
        provisionedConcurrency: false,
        snsTopicArn: topicArn,
        createSnsTopic: false,
      });
    });
    const metrics = Object.values(JSON.parse(json).resource[CloudwatchMetricAlarm.tfResourceType] as Record<string, Json>);
    expect(metrics.map((alarm) => alarm.metric_name).sort()).toEqual(["Duration", "Errors", "Throttles"]);
    expect(metrics.every((alarm) => alarm.alarm_actions[0] === topicArn)).toBe(true);
    expect(Testing.toHaveResourceWithProperties(json, CloudwatchMetricAlarm.tfResourceType, { metric_name: "Duration", threshold: 8000 })).toBe(true);
    expect(Testing.toHaveResource(json, SnsTopic.tfResourceType)).toBe(false);
  });
});

describe("outputs and state", () => {
  it("outputs the URL, names, alias ARN, repository, digest and log group", () => {
    expect(Object.keys(base.tf.output).sort()).toEqual(
      ["alias_arn", "ecr_repository_url", "function_name", "function_url", "image_digest", "log_group_name"].sort(),
    );
    expect(base.tf.output.function_url.value).toBe(ref(base, LambdaFunctionUrl.tfResourceType, "function_url"));
    expect(base.tf.output.alias_arn.value).toBe(ref(base, LambdaAlias.tfResourceType, "arn"));
    expect(base.tf.output.image_digest.value).toBe(ref(base, RegistryImage.tfResourceType, "sha256_digest"));
    expect(base.tf.output.ecr_repository_url.value).toBe(ref(base, EcrRepository.tfResourceType, "repository_url"));
    expect(base.tf.output.log_group_name.value).toBe(ref(base, CloudwatchLogGroup.tfResourceType, "name"));
  });

  it("keeps local state by a relative path unless an S3 backend is configured", () => {
    const local = base.tf.terraform.backend.local.path as string;
    expect(isAbsolute(local)).toBe(false);
    expect(local.endsWith("terraform.tfstate.d/classifier-test.tfstate")).toBe(true);
    expect(full.tf.terraform.backend).toEqual({
      s3: { bucket: "tf-state-bucket", key: "image-classifier/test.tfstate", region: "eu-west-1", encrypt: true, use_lockfile: true },
    });
  });

  it("configures the AWS provider for the stage's region", () => {
    expect(Testing.toHaveProviderWithProperties(base.json, "aws", { region: "eu-west-1" })).toBe(true);
    expect(Testing.toHaveProviderWithProperties(base.json, "aws", { region: "us-east-1" })).toBe(false);
  });

  it("synthesizes the same document from the same config (no clock, no randomness: plans stay empty)", () => {
    expect(synthesize("base again", BASE).json).toBe(base.json);
    expect(synthesize("full again", FULL).json).toBe(full.json);
  });
});
