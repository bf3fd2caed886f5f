import type { Construct } from "constructs";
import { ServiceRole } from "../constructs/service-role.js";
import { LOG_WRITE_ACTIONS } from "../constructs/execution-role.js";
import { listStatements, objectStatements, type OwnedS3Input } from "./s3-grants.js";

/**
 * What Step Functions needs to deliver a state machine's logs to CloudWatch Logs. AWS documents these on `"*"`: the
 * log-delivery APIs support no resource-level permissions. The only wildcard resource the batch roles hold.
 */
export const LOG_DELIVERY_ACTIONS = [
  "logs:CreateLogDelivery",
  "logs:GetLogDelivery",
  "logs:UpdateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:DescribeResourcePolicies",
  "logs:DescribeLogGroups",
] as const;

/** ResultWriter's actions as AWS documents them (multipart uploads for large result files). */
export const RESULT_WRITE_ACTIONS = ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"] as const;

export interface StateMachinePolicyProps {
  /** ARN of the state machine itself (built from its name: the role exists before the state machine). */
  readonly stateMachineArn: string;
  /** `arn:…:execution:<state machine name>/*`: the child workflow executions of its map runs. */
  readonly childExecutionsArn: string;
  /** The batch alias: the only function the children may invoke. */
  readonly functionAliasArn: string;
  /** ARN of the state machine's log group, without the `:*` suffix. */
  readonly logGroupArn: string;
  /** Prefixes a listing may cover (s3:ListBucket with s3:prefix) and whose objects may serve as manifests. */
  readonly inputs: readonly OwnedS3Input[];
  /** Further manifest locations (the results folder's `manifests/` included). */
  readonly manifests: readonly OwnedS3Input[];
  /** ResultWriter's folder, `<results prefix>/`. */
  readonly results: OwnedS3Input;
}

/** The state machine role's statements: child executions, the batch alias, list/read input, write results, logs. */
export function stateMachinePolicyStatements(props: StateMachinePolicyProps) {
  return [
    // A Distributed Map starts its child workflows as executions of this very state machine.
    { Sid: "StartChildExecutions", Effect: "Allow", Action: ["states:StartExecution"], Resource: props.stateMachineArn },
    {
      Sid: "ManageChildExecutions",
      Effect: "Allow",
      // RedriveExecution: redriving a map run re-runs its failed children.
      Action: ["states:DescribeExecution", "states:StopExecution", "states:RedriveExecution"],
      Resource: props.childExecutionsArn,
    },
    { Sid: "InvokeBatchAlias", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: props.functionAliasArn },
    ...listStatements("ListInputs", props.inputs),
    ...objectStatements("ReadManifests", ["s3:GetObject"], [...props.inputs, ...props.manifests]),
    ...objectStatements("WriteResults", RESULT_WRITE_ACTIONS, [props.results]),
    { Sid: "DeliverLogs", Effect: "Allow", Action: [...LOG_DELIVERY_ACTIONS], Resource: "*" },
    { Sid: "WriteOwnLogs", Effect: "Allow", Action: [...LOG_WRITE_ACTIONS], Resource: `${props.logGroupArn}:*` },
  ];
}

export interface StateMachineRoleProps extends StateMachinePolicyProps {
  readonly roleName: string;
  /** Account the state machine belongs to (aws:SourceAccount in the trust policy). */
  readonly account: string;
}

/** The role Step Functions assumes for the batch state machine. */
export class StateMachineRole extends ServiceRole {
  constructor(scope: Construct, id: string, props: StateMachineRoleProps) {
    super(scope, id, {
      roleName: props.roleName,
      servicePrincipal: "states.amazonaws.com",
      account: props.account,
      policyName: "batch-state-machine",
      statements: stateMachinePolicyStatements(props),
    });
  }
}
