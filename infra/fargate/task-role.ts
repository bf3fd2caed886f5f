import { objectStatements, type OwnedS3Input } from "../batch/s3-grants.js";
import { LOG_WRITE_ACTIONS } from "../constructs/execution-role.js";

export interface TaskRoleGrants {
  /** The stage's S3 allowlist with owners: the server may read exactly these, as the function may. */
  readonly s3Inputs: readonly OwnedS3Input[];
  /** With FireLens, the log router writes the server's lines with the task's credentials, into this log group only. */
  readonly firelensLogGroupArn?: string;
}

/**
 * The task role's statements (the credentials the containers get). Empty when the task needs no AWS access: then no
 * task role is created and the containers have no AWS credentials at all.
 */
export function taskRoleStatements(grants: TaskRoleGrants): object[] {
  return [
    ...objectStatements("ReadInputObjects", ["s3:GetObject"], grants.s3Inputs),
    ...(grants.firelensLogGroupArn
      ? [{ Sid: "RouteOwnLogs", Effect: "Allow", Action: [...LOG_WRITE_ACTIONS], Resource: `${grants.firelensLogGroupArn}:*` }]
      : []),
  ];
}
