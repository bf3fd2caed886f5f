import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js";
import type { TerraformResource } from "cdktf";
import { Construct } from "constructs";

export const BASIC_EXECUTION_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole";
export const XRAY_WRITE_POLICY_ARN = "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess";

export interface S3Input {
  bucket: string;
  prefix: string;
}

export interface ExecutionRoleProps {
  roleName: string;
  s3Inputs: S3Input[];
  tracing: boolean;
}

/** `arn:aws:s3:::bucket/prefix*` — the only wildcard the stack grants, and only at the end of a configured prefix. */
export function s3ObjectArn({ bucket, prefix }: S3Input): string {
  return `arn:aws:s3:::${bucket}/${prefix}*`;
}

/** The function's role: logs through AWSLambdaBasicExecutionRole, reads only the configured S3 prefixes. */
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

    this.grants.push(
      new IamRolePolicyAttachment(this, "basic-execution", { role: this.role.name, policyArn: BASIC_EXECUTION_POLICY_ARN }),
    );

    if (props.tracing) {
      this.grants.push(new IamRolePolicyAttachment(this, "xray", { role: this.role.name, policyArn: XRAY_WRITE_POLICY_ARN }));
    }

    if (props.s3Inputs.length > 0) {
      this.grants.push(
        new IamRolePolicy(this, "s3-input", {
          name: "read-s3-input",
          role: this.role.id,
          policy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Sid: "ReadInputObjects", Effect: "Allow", Action: "s3:GetObject", Resource: props.s3Inputs.map(s3ObjectArn) }],
          }),
        }),
      );
    }
  }
}
