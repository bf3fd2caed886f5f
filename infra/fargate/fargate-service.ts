import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { Annotations } from "cdktf";
import { Construct } from "constructs";
import type { OwnedS3Input } from "../batch/s3-grants.js";
import { ServiceRole } from "../constructs/service-role.js";
import type { Architecture } from "../constructs/container-image.js";
import { ServiceAutoscaling } from "./autoscaling.js";
import { Cluster } from "./cluster.js";
import type { FargateConfig } from "./fargate-config.js";
import { LoadBalancer } from "./load-balancer.js";
import { Network } from "./network.js";
import { HTTP_PORT, HTTPS_PORT, SecurityGroups } from "./security-groups.js";
import { Service } from "./service.js";
import { TaskDefinition } from "./task-definition.js";
import { taskEnvironment } from "./task-environment.js";
import { taskExecutionStatements } from "./task-execution-role.js";
import { taskRoleStatements } from "./task-role.js";

export interface FargateServiceProps {
  /** The stage function's name: also the cluster's, the service's and the task family's. */
  readonly name: string;
  readonly region: string;
  /** The deploying account (the task role's aws:SourceAccount). */
  readonly account: string;
  readonly fargate: FargateConfig;
  /** The function's architecture and image (by digest): the very image the function runs. */
  readonly architecture: Architecture;
  readonly imageUri: string;
  /** The ECR repository of `imageUri`: the only one the execution role may pull from. */
  readonly repositoryArn: string;
  /** The function's environment (functionEnvironment); the server's variables are set over it. */
  readonly functionEnvironment: Record<string, string>;
  /** The function's S3 allowlist with owners: the task role reads exactly these. */
  readonly s3Inputs: readonly OwnedS3Input[];
  /** Retention of the task's log group: the function's. */
  readonly logRetentionDays: number;
}

/**
 * The stage's image as an HTTP service on ECS Fargate: cluster, task definition, service behind an Application Load
 * Balancer, security groups, target-tracking autoscaling and least-privilege roles.
 */
export class FargateService extends Construct {
  readonly logGroup: CloudwatchLogGroup;
  readonly cluster: Cluster;
  readonly service: Service;
  readonly loadBalancer: LoadBalancer;
  /** `http://<alb dns>` or, with a certificate, `https://<alb dns>`. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: FargateServiceProps) {
    super(scope, id);
    const { fargate, name } = props;
    const firelens = fargate.metrics.extraction === "firelens";
    const worldOpen = fargate.allowedCidrs.includes("0.0.0.0/0");
    if (worldOpen && !fargate.internal) {
      Annotations.of(this).addWarning(
        "fargate.allowedCidrs includes 0.0.0.0/0: anyone on the internet can call the service (unlike the function URL, the load balancer authenticates no one); maxTasks caps what they can spend",
      );
    }

    this.logGroup = new CloudwatchLogGroup(this, "log-group", { name: `/ecs/${name}`, retentionInDays: props.logRetentionDays });
    const execution = new ServiceRole(this, "execution-role", {
      roleName: `${name.slice(0, 50)}-ecs-execution`,
      servicePrincipal: "ecs-tasks.amazonaws.com",
      policyName: "pull-image-write-logs",
      statements: taskExecutionStatements({ repositoryArn: props.repositoryArn, logGroupArn: this.logGroup.arn }),
    });
    const statements = taskRoleStatements({ s3Inputs: props.s3Inputs, firelensLogGroupArn: firelens ? this.logGroup.arn : undefined });
    const taskRole =
      statements.length > 0
        ? new ServiceRole(this, "task-role", {
            roleName: `${name.slice(0, 55)}-ecs-task`,
            servicePrincipal: "ecs-tasks.amazonaws.com",
            account: props.account,
            policyName: "task-permissions",
            statements,
          })
        : undefined;

    this.cluster = new Cluster(this, "cluster", { name, containerInsights: fargate.containerInsights });
    const task = new TaskDefinition(this, "task-definition", {
      family: name,
      cpu: fargate.cpu,
      memoryMb: fargate.memoryMb,
      architecture: props.architecture,
      executionRoleArn: execution.role.arn,
      taskRoleArn: taskRole?.role.arn,
      imageUri: props.imageUri,
      environment: taskEnvironment(props.functionEnvironment, fargate),
      stopTimeoutSeconds: fargate.stopTimeoutSeconds,
      logGroupName: this.logGroup.name,
      region: props.region,
      logRouter: firelens ? { image: fargate.metrics.logRouterImage, memoryReservationMb: fargate.metrics.logRouterMemoryMb } : undefined,
    });

    const network = new Network(this, "network", fargate);
    const groups = new SecurityGroups(this, "security-groups", {
      namePrefix: name,
      vpcId: network.vpcId,
      allowedCidrs: fargate.allowedCidrs,
      listenerPorts: fargate.certificateArn ? [HTTP_PORT, HTTPS_PORT] : [HTTP_PORT],
    });
    this.loadBalancer = new LoadBalancer(this, "load-balancer", {
      name,
      internal: fargate.internal,
      vpcId: network.vpcId,
      subnetIds: network.loadBalancerSubnetIds,
      securityGroupId: groups.loadBalancer.id,
      certificateArn: fargate.certificateArn,
      sslPolicy: fargate.sslPolicy,
      deregistrationDelaySeconds: fargate.deregistrationDelaySeconds,
      healthCheck: fargate.healthCheck,
    });
    this.url = this.loadBalancer.url;

    this.service = new Service(this, "service", {
      name,
      clusterArn: this.cluster.cluster.arn,
      taskDefinitionArn: task.taskDefinition.arn,
      desiredCount: fargate.desiredCount ?? fargate.minTasks,
      subnetIds: network.taskSubnetIds,
      securityGroupId: groups.tasks.id,
      assignPublicIp: fargate.assignPublicIp ?? network.isDefaultVpc,
      targetGroupArn: this.loadBalancer.targetGroup.arn,
      listener: this.loadBalancer.forwardingListener,
      healthCheckGracePeriodSeconds: fargate.healthCheckGracePeriodSeconds,
      minimumHealthyPercent: fargate.minimumHealthyPercent,
      maximumPercent: fargate.maximumPercent,
    });

    new ServiceAutoscaling(this, "autoscaling", {
      namePrefix: name,
      clusterName: this.cluster.cluster.name,
      serviceName: this.service.service.name,
      minTasks: fargate.minTasks,
      maxTasks: fargate.maxTasks,
      targetCpuUtilization: fargate.targetCpuUtilization,
      targetRequestsPerTarget: fargate.targetRequestsPerTarget,
      requestCountResourceLabel: `${this.loadBalancer.alb.arnSuffix}/${this.loadBalancer.targetGroup.arnSuffix}`,
      scaleOutCooldownSeconds: fargate.scaleOutCooldownSeconds,
      scaleInCooldownSeconds: fargate.scaleInCooldownSeconds,
      dependsOn: [this.service.service, this.loadBalancer.forwardingListener],
    });
  }
}
