import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity/index.js";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js";
import { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { LambdaFunctionUrl } from "@cdktf/provider-aws/lib/lambda-function-url/index.js";
import { LambdaProvisionedConcurrencyConfig } from "@cdktf/provider-aws/lib/lambda-provisioned-concurrency-config/index.js";
import { AppautoscalingScheduledAction } from "@cdktf/provider-aws/lib/appautoscaling-scheduled-action/index.js";
import { SfnStateMachine } from "@cdktf/provider-aws/lib/sfn-state-machine/index.js";
import { Image } from "@cdktf/provider-docker/lib/image/index.js";
import { beforeAll, describe, expect, it } from "vitest";
import { type Json, PROJECT_ROOT, synthesizeStack, type SynthesizedStack } from "./support/synthesize-stack.js";
import { loadStageConfigs, parseStageConfig, type StageConfig, type StageConfigInput } from "../infra/config.js";

type Synthesized = SynthesizedStack;
/** A fixed context hash: these tests look at what the stack adds to it, not at the repository's files. */
const CONTEXT_HASH = "c".repeat(64);
const ACCOUNT = "111122223333";
const OTHER_ACCOUNT = "444455556666";


const minimal = { stage: "test", region: "eu-west-1" };

function configOf(input: Omit<StageConfigInput, "stage" | "region">): StageConfig {
  return parseStageConfig({ ...minimal, ...input }, "hardening.json");
}

const synthesizeConfig = (config: StageConfig) => synthesizeStack(config, CONTEXT_HASH);

const synthesize = (input: Omit<StageConfigInput, "stage" | "region">) => synthesizeConfig(configOf(input));

/** The message of the configuration error for `input`; fails when the input is accepted. */
function problemsOf(input: Record<string, unknown>): string {
  let accepted = false;
  try {
    parseStageConfig({ ...minimal, ...input }, "hardening.json");
    accepted = true;
  } catch (error) {
    return (error as Error).message;
  }
  expect(accepted, `${JSON.stringify(input)} should be refused`).toBe(false);
  return "";
}

const resources = (s: Synthesized, type: string): [string, Json][] => Object.entries(s.tf.resource?.[type] ?? {});
const onlyOf = (s: Synthesized, type: string): [string, Json] => {
  const found = resources(s, type);
  expect(found, `exactly one ${type}`).toHaveLength(1);
  return found[0]!;
};
const functionOf = (s: Synthesized) => onlyOf(s, LambdaFunction.tfResourceType)[1];
const policyNamed = (s: Synthesized, name: string) => resources(s, IamRolePolicy.tfResourceType).find(([, p]) => p.name === name);
const statementsOf = (s: Synthesized, name: string): Json[] => {
  const policy = policyNamed(s, name);
  return policy ? (JSON.parse(policy[1].policy as string).Statement as Json[]) : [];
};

describe("execution role: logs only to its own log group (no AWSLambdaBasicExecutionRole)", () => {
  let s: Synthesized;
  beforeAll(() => {
    s = synthesize({});
  });

  it("attaches no managed logging policy", () => {
    const attached = resources(s, IamRolePolicyAttachment.tfResourceType).map(([, a]) => a.policy_arn as string);
    expect(attached.filter((arn) => arn.includes("AWSLambdaBasicExecutionRole"))).toEqual([]);
  });

  it("grants CreateLogStream and PutLogEvents on the streams of the Terraform-created log group only", () => {
    const [logGroupId] = onlyOf(s, CloudwatchLogGroup.tfResourceType);
    expect(statementsOf(s, "write-own-logs")).toEqual([
      {
        Sid: "WriteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `\${${CloudwatchLogGroup.tfResourceType}.${logGroupId}.arn}:*`,
      },
    ]);
  });

  it("makes the function wait for the log group and the logging policy", () => {
    const [logGroupId] = onlyOf(s, CloudwatchLogGroup.tfResourceType);
    const [policyId] = policyNamed(s, "write-own-logs")!;
    expect(functionOf(s).depends_on).toEqual(
      expect.arrayContaining([`${CloudwatchLogGroup.tfResourceType}.${logGroupId}`, `${IamRolePolicy.tfResourceType}.${policyId}`]),
    );
  });
});

describe("S3 input allowlist", () => {
  it.each([
    ["uploads,other-bucket", "prefix: may only contain"],
    ["${var.other}/", "prefix: may only contain"],
    ["uploads/*", "prefix: must not contain wildcards"],
    ["upload?/", "prefix: must not contain wildcards"],
    ["uploads\n/", "prefix: may only contain"],
    ["uploads\u0000/", "prefix: may only contain"],
    ["/uploads/", "prefix: must not start with /"],
    ["my uploads/", "prefix: may only contain"],
  ])("refuses the prefix %j", (prefix, expected) => {
    const message = problemsOf({ s3InputAllowlist: [{ bucket: "input-bucket", prefix }] });
    expect(message).toContain(`s3InputAllowlist.0.${expected}`);
  });

  it.each(["in,other", "in${x}", "in*"])("refuses the bucket %j", (bucket) => {
    expect(problemsOf({ s3InputAllowlist: [{ bucket }] })).toContain("s3InputAllowlist.0.bucket");
  });

  it("accepts S3's safe key characters and Hive-style partitions", () => {
    const prefix = "year=2024/Month_(01)/it's-ok!.v2/";
    expect(configOf({ s3InputAllowlist: [{ bucket: "input-bucket", prefix }] }).s3InputAllowlist[0]!.prefix).toBe(prefix);
  });

  it("warns about a prefix without a trailing / (it also matches sibling prefixes), and only then", () => {
    const loose = synthesize({ s3InputAllowlist: [{ bucket: "input-bucket", prefix: "uploads" }, { bucket: "other-bucket", prefix: "ok/" }] });
    expect(loose.warnings).toHaveLength(1);
    expect(loose.warnings[0]).toMatch(/"uploads".*input-bucket.*trailing "\/"/);
    expect(synthesize({ s3InputAllowlist: [{ bucket: "input-bucket", prefix: "uploads/" }, { bucket: "b-2" }] }).warnings).toEqual([]);
  });

  it("passes the allowlist to the function as JSON", () => {
    const s = synthesize({ s3InputAllowlist: [{ bucket: "input-bucket", prefix: "uploads/" }, { bucket: "other-bucket" }] });
    const variables = functionOf(s).environment.variables;
    expect(JSON.parse(variables.S3_INPUT_ALLOWLIST)).toEqual([
      { bucket: "input-bucket", prefix: "uploads/" },
      { bucket: "other-bucket", prefix: "" },
    ]);
  });

  it("by default expects the deploying account to own the buckets, in the policy and in the environment", () => {
    const s = synthesize({ s3InputAllowlist: [{ bucket: "input-bucket", prefix: "uploads/" }] });
    const [identityId] = Object.keys(s.tf.data[DataAwsCallerIdentity.tfResourceType]);
    const account = `\${data.${DataAwsCallerIdentity.tfResourceType}.${identityId}.account_id}`;
    expect(statementsOf(s, "read-s3-input")).toEqual([
      {
        Sid: "ReadInputObjects",
        Effect: "Allow",
        Action: "s3:GetObject",
        Resource: ["arn:aws:s3:::input-bucket/uploads/*"],
        Condition: { StringEquals: { "s3:ResourceAccount": account } },
      },
    ]);
    expect(functionOf(s).environment.variables.S3_EXPECTED_BUCKET_OWNER).toBe(account);
  });

  it("takes the owner from the stage and from each entry, one statement per owner", () => {
    const s = synthesize({
      s3InputExpectedBucketOwner: ACCOUNT,
      s3InputAllowlist: [
        { bucket: "input-bucket", prefix: "a/" },
        { bucket: "partner-bucket", prefix: "b/", expectedBucketOwner: OTHER_ACCOUNT },
        { bucket: "second-bucket" },
      ],
    });
    expect(s.tf.data?.[DataAwsCallerIdentity.tfResourceType]).toBeUndefined();
    const statements = statementsOf(s, "read-s3-input");
    expect(statements.map((statement) => [statement.Condition.StringEquals["s3:ResourceAccount"], statement.Resource])).toEqual([
      [ACCOUNT, ["arn:aws:s3:::input-bucket/a/*", "arn:aws:s3:::second-bucket/*"]],
      [OTHER_ACCOUNT, ["arn:aws:s3:::partner-bucket/b/*"]],
    ]);
    expect(new Set(statements.map((statement) => statement.Sid)).size).toBe(2);
    const variables = functionOf(s).environment.variables;
    expect(variables.S3_EXPECTED_BUCKET_OWNER).toBe(ACCOUNT);
    expect(JSON.parse(variables.S3_INPUT_ALLOWLIST)[1]).toEqual({ bucket: "partner-bucket", prefix: "b/", expectedBucketOwner: OTHER_ACCOUNT });
  });

  it("reads no account and sets no owner when there is no S3 input", () => {
    const s = synthesize({});
    expect(s.tf.data?.[DataAwsCallerIdentity.tfResourceType]).toBeUndefined();
    expect(functionOf(s).environment.variables.S3_EXPECTED_BUCKET_OWNER).toBeUndefined();
    expect(policyNamed(s, "read-s3-input")).toBeUndefined();
  });

  it("refuses malformed owners and setting the stack's S3 variables through environment", () => {
    expect(problemsOf({ s3InputExpectedBucketOwner: "1234" })).toContain("s3InputExpectedBucketOwner: must be a 12-digit AWS account id");
    expect(problemsOf({ s3InputAllowlist: [{ bucket: "input-bucket", expectedBucketOwner: "x" }] })).toContain(
      "s3InputAllowlist.0.expectedBucketOwner",
    );
    expect(problemsOf({ environment: { S3_EXPECTED_BUCKET_OWNER: ACCOUNT } })).toContain("environment.S3_EXPECTED_BUCKET_OWNER");
  });
});

describe("function URL", () => {
  it("requires reservedConcurrency when the URL is public (authType NONE)", () => {
    const message = problemsOf({ functionUrl: { authType: "NONE" } });
    expect(message).toContain("reservedConcurrency: is required when functionUrl.authType is NONE");
    expect(configOf({ functionUrl: { authType: "NONE" }, reservedConcurrency: 5 }).reservedConcurrency).toBe(5);
  });

  it("allows the SigV4 headers in CORS by default", () => {
    const s = synthesize({ functionUrl: { cors: { allowOrigins: ["https://app.example.com"] } } });
    expect(onlyOf(s, LambdaFunctionUrl.tfResourceType)[1].cors.allow_headers).toEqual([
      "content-type",
      "authorization",
      "x-amz-date",
      "x-amz-security-token",
      "x-amz-content-sha256",
    ]);
  });
});

describe("stage environment", () => {
  it.each(["POWERTOOLS_LOGGER_LOG_EVENT", "POWERTOOLS_DEV"])("refuses %s (it logs whole events, image bytes included)", (variable) => {
    expect(problemsOf({ environment: { [variable]: "true" } })).toContain(`environment.${variable}: would log whole events`);
  });
});

describe("ECR lifecycle", () => {
  it("never expires a tagged image (published versions may still run it)", () => {
    const rules = JSON.parse(onlyOf(synthesize({}), EcrLifecyclePolicy.tfResourceType)[1].policy).rules as Json[];
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) expect(rule.selection.tagStatus).toBe("untagged");
  });
});

describe("base image pin", () => {
  const DIGEST_PIN = `public.ecr.aws/lambda/nodejs:22@sha256:${"ab".repeat(32)}`;
  const imageOf = (s: Synthesized) => onlyOf(s, Image.tfResourceType)[1];

  it("passes the stage's base image to both Dockerfile stages as BASE_IMAGE", () => {
    const image = imageOf(synthesize({ image: { baseImage: DIGEST_PIN } }));
    expect(image.build.build_args.BASE_IMAGE).toBe(DIGEST_PIN);
    expect(image.build.label["org.opencontainers.image.base.name"]).toBe(DIGEST_PIN);
    const froms = [...readFileSync(join(PROJECT_ROOT, "Dockerfile"), "utf8").matchAll(/^FROM\s+(\S+)/gm)].map((match) => match[1]);
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toBe("${BASE_IMAGE}");
  });

  it("derives the base image from nodeMajor, but not both", () => {
    expect(configOf({ image: { nodeMajor: 24 } }).image.baseImage).toBe("public.ecr.aws/lambda/nodejs:24");
    expect(problemsOf({ image: { nodeMajor: 22, baseImage: DIGEST_PIN } })).toContain("image.nodeMajor: cannot be set together with image.baseImage");
  });

  it.each([
    ["public.ecr.aws/lambda/nodejs", "must name a tag or a digest"],
    ["public.ecr.aws/lambda/nodejs:22@sha256:abc", "image.baseImage: must be an image reference"],
    ["public.ecr.aws/lambda/nodejs:${var.tag}", "image.baseImage: must be an image reference"],
    ["Public.ecr.aws/lambda/nodejs:22", "image.baseImage: must be an image reference"],
  ])("refuses the base image %j", (baseImage, expected) => {
    expect(problemsOf({ image: { baseImage } })).toContain(expected);
  });

  it("puts the base image (and the platform) into the image tag and the rebuild trigger", () => {
    const tagged = [
      synthesize({}),
      synthesize({ image: { baseImage: DIGEST_PIN } }),
      synthesize({ image: { baseImage: DIGEST_PIN.replace("ab".repeat(32), "cd".repeat(32)) } }),
      synthesize({ image: { baseImage: DIGEST_PIN }, architecture: "arm64" }),
    ].map(imageOf);
    const tags = tagged.map((image) => String(image.name).split(":").at(-1));
    const triggers = tagged.map((image) => image.triggers.buildInputsSha256 as string);
    expect(new Set(tags).size).toBe(tags.length);
    expect(new Set(triggers).size).toBe(triggers.length);
    tagged.forEach((image, index) => expect(tags[index]).toBe(`src-${triggers[index]!.slice(0, 32)}`));
    // Same inputs, same tag: an unchanged stage is not rebuilt.
    expect(imageOf(synthesize({ image: { baseImage: DIGEST_PIN } })).name).toBe(tagged[1]!.name);
  });
});

describe("committed stages", () => {
  let dev: Synthesized;
  let prod: Synthesized;
  beforeAll(() => {
    const configs = loadStageConfigs({ configDir: join(PROJECT_ROOT, "infra/config"), env: {} });
    const stage = (name: string) => synthesizeConfig(configs.find((config) => config.stage === name)!);
    dev = stage("dev");
    prod = stage("prod");
  });

  it("dev runs on demand only: no provisioned concurrency (nothing billed while idle), alias and URL still exist", () => {
    expect(resources(dev, LambdaProvisionedConcurrencyConfig.tfResourceType)).toEqual([]);
    expect(resources(dev, LambdaAlias.tfResourceType)).toHaveLength(1);
    expect(onlyOf(dev, LambdaFunctionUrl.tfResourceType)[1].qualifier).toMatch(/^\$\{aws_lambda_alias\./);
    const metrics = resources(dev, CloudwatchMetricAlarm.tfResourceType).map(([, alarm]) => alarm.metric_name);
    expect(metrics).not.toContain("ProvisionedConcurrencySpilloverInvocations");
  });

  it("prod keeps provisioned concurrency with its schedule, and traces with X-Ray", () => {
    expect(onlyOf(prod, LambdaProvisionedConcurrencyConfig.tfResourceType)[1].provisioned_concurrent_executions).toBe(2);
    expect(resources(prod, AppautoscalingScheduledAction.tfResourceType)).toHaveLength(2);
    const stageFunction = resources(prod, LambdaFunction.tfResourceType).find(([, fn]) => fn.function_name === "image-classifier-prod");
    expect(stageFunction?.[1].tracing_config).toEqual({ mode: "Active" });
  });

  it("prod enables batch scoring as the worked example; dev has none", () => {
    expect(resources(prod, SfnStateMachine.tfResourceType)).toHaveLength(1);
    expect(resources(prod, LambdaFunction.tfResourceType).map(([, fn]) => fn.function_name).sort()).toEqual([
      "image-classifier-prod",
      "image-classifier-prod-batch",
    ]);
    expect(resources(dev, SfnStateMachine.tfResourceType)).toEqual([]);
    expect(resources(dev, LambdaFunction.tfResourceType)).toHaveLength(1);
  });
});
