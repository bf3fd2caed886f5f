import { LOG_WRITE_ACTIONS } from "../constructs/execution-role.js";

/** What pulling one image needs on its repository (no push, no listing). */
export const ECR_PULL_ACTIONS = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"] as const;
/** ECR's registry login: an action without resource-level permissions, so it is granted on "*". */
export const ECR_LOGIN_ACTION = "ecr:GetAuthorizationToken";

/** `arn:<partition>:ecr:<region>:<account>:repository/<name>` of a repository URL (`account.dkr.ecr.region.amazonaws.com/name`). */
export function repositoryArnOf(repositoryUrl: string): string {
  const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/(.+)$/.exec(repositoryUrl);
  if (!match) throw new Error(`not an ECR repository URL: ${repositoryUrl}`);
  const [, account, region, china, name] = match;
  const partition = china ? "aws-cn" : region!.startsWith("us-gov-") ? "aws-us-gov" : "aws";
  return `arn:${partition}:ecr:${region}:${account}:repository/${name}`;
}

export interface TaskExecutionGrants {
  /** The one repository the task's image comes from. */
  readonly repositoryArn: string;
  /** The task's log group (the awslogs driver writes with this role), without the `:*` suffix. */
  readonly logGroupArn: string;
}

/**
 * What ECS itself needs to start the task: pull the image from exactly its repository and write the awslogs streams
 * of exactly its log group. Not AmazonECSTaskExecutionRolePolicy: that pulls from every repository and writes every
 * log group.
 */
export function taskExecutionStatements(grants: TaskExecutionGrants): object[] {
  return [
    { Sid: "PullImage", Effect: "Allow", Action: [...ECR_PULL_ACTIONS], Resource: grants.repositoryArn },
    { Sid: "LogInToRegistry", Effect: "Allow", Action: ECR_LOGIN_ACTION, Resource: "*" },
    { Sid: "WriteOwnLogs", Effect: "Allow", Action: [...LOG_WRITE_ACTIONS], Resource: `${grants.logGroupArn}:*` },
  ];
}
