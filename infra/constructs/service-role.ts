import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { Construct } from "constructs";

export interface ServiceRoleProps {
  readonly roleName: string;
  /** The AWS service that assumes the role, e.g. `states.amazonaws.com`. */
  readonly servicePrincipal: string;
  /**
   * Only this account's resources of that service may assume it (aws:SourceAccount, the confused-deputy guard).
   * Default: no condition, for a principal that does not send the key (ECS starting a task with its execution role).
   */
  readonly account?: string;
  /** Name of the role's one inline policy. */
  readonly policyName: string;
  readonly statements: readonly object[];
}

/** A role one AWS service assumes on this account's behalf, with one inline policy. */
export class ServiceRole extends Construct {
  readonly role: IamRole;
  readonly policy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    this.role = new IamRole(this, "role", {
      name: props.roleName,
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: props.servicePrincipal },
            Action: "sts:AssumeRole",
            ...(props.account && { Condition: { StringEquals: { "aws:SourceAccount": props.account } } }),
          },
        ],
      }),
    });
    this.policy = new IamRolePolicy(this, "policy", {
      name: props.policyName,
      role: this.role.id,
      policy: JSON.stringify({ Version: "2012-10-17", Statement: props.statements }),
    });
  }
}
