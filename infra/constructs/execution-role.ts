import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js";
import type { TerraformResource } from "cdktf";
import { Construct } from "constructs";

export const XRAY_WRITE_POLICY_ARN = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess";
/** What the function needs to write its own log lines; the log group itself is created by Terraform. */
export const LOG_WRITE_ACTIONS = ["logs:CreateLogStream", "logs:PutLogEvents"] as const;

export interface S3Input {
  bucket: string;
  prefix: string;
}

export interface OwnedS3Input extends S3Input {
  /** Account id that must own the bucket (may be a Terraform reference). */
  expectedBucketOwner: string;
}

export interface ExecutionRoleProps {
  roleName: string;
  /** ARN of the function's log group, without the `:*` stream suffix (as aws_cloudwatch_log_group exports it). */
  logGroupArn: string;
  s3Inputs: OwnedS3Input[];
  tracing: boolean;
}

/** `arn:aws:s3:::bucket/prefix*` — the only wildcard the stack grants, and only at the end of a configured prefix. */
export function s3ObjectArn({ bucket, prefix }: S3Input): string {
  return `arn:aws:s3:::${bucket}/${prefix}*`;
}

/** One statement per bucket owner: s3:ResourceAccount keeps a re-created bucket of the same name in another account out. */
function s3ReadStatements(inputs: OwnedS3Input[]) {
  const byOwner = new Map<string, OwnedS3Input[]>();
  for (const input of inputs) byOwner.set(input.expectedBucketOwner, [...(byOwner.get(input.expectedBucketOwner) ?? []), input]);
  return [...byOwner].map(([owner, owned], index) => ({
    Sid: `ReadInputObjects${index === 0 ? "" : index}`,
    Effect: "Allow",
    Action: "s3:GetObject",
    Resource: owned.map(s3ObjectArn),
    Condition: { StringEquals: { "s3:ResourceAccount": owner } },
  }));
}

/** The function's role: writes only its own log group, reads only the configured S3 prefixes (X-Ray when tracing). */
export class ExecutionRole extends Construct {
  readonly role: IamRole;
  /** Everything attached to the role; the function waits for all of it. */
  readonly grants: TerraformResource[] = [];

  constructor(scope: Construct, id: string, props: ExecutionRoleProps) {
    super(scope, id);

    this.role = new IamRole(this, "role", {
      name: props.roleName,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
      }),
    });

    // Not AWSLambdaBasicExecutionRole: that grants logs:CreateLogGroup and log writes on every log group of the account.
    this.grants.push(
      new IamRolePolicy(this, "logs", {
        name: "write-own-logs",
        role: this.role.id,
        policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Sid: "WriteOwnLogs", Effect: "Allow", Action: LOG_WRITE_ACTIONS, Resource: `${props.logGroupArn}:*` }],
        }),
      }),
    );

    if (props.tracing) {
      this.grants.push(new IamRolePolicyAttachment(this, "xray", { role: this.role.name, policyArn: XRAY_WRITE_POLICY_ARN }));
    }

    if (props.s3Inputs.length > 0) {
      this.grants.push(
        new IamRolePolicy(this, "s3-input", {
          name: "read-s3-input",
          role: this.role.id,
          policy: JSON.stringify({ Version: "2012-10-17", Statement: s3ReadStatements(props.s3Inputs) }),
        }),
      );
    }
  }
}
