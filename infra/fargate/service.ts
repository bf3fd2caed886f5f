import { EcsService } from "@cdktf/provider-aws/lib/ecs-service/index.js";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { SERVER_DEFAULTS } from "../../handler/server/settings.js";
import { SERVER_CONTAINER_NAME } from "./container-definitions.js";

export interface ServiceProps {
  readonly name: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  /** The first deploy's task count; autoscaling owns it afterwards. */
  readonly desiredCount: number;
  readonly subnetIds: string[];
  readonly securityGroupId: string;
  readonly assignPublicIp: boolean;
  readonly targetGroupArn: string;
  /** The listener forwarding to the target group: ECS refuses a target group no load balancer uses yet. */
  readonly listener: ITerraformDependable;
  readonly healthCheckGracePeriodSeconds: number;
  readonly minimumHealthyPercent: number;
  readonly maximumPercent: number;
}

/** The Fargate service: rolling deployments that roll back by themselves when new tasks do not become healthy. */
export class Service extends Construct {
  readonly service: EcsService;

  constructor(scope: Construct, id: string, props: ServiceProps) {
    super(scope, id);
    this.service = new EcsService(this, "service", {
      name: props.name,
      cluster: props.clusterArn,
      taskDefinition: props.taskDefinitionArn,
      launchType: "FARGATE",
      platformVersion: "LATEST",
      desiredCount: props.desiredCount,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      deploymentMinimumHealthyPercent: props.minimumHealthyPercent,
      deploymentMaximumPercent: props.maximumPercent,
      healthCheckGracePeriodSeconds: props.healthCheckGracePeriodSeconds,
      networkConfiguration: {
        subnets: props.subnetIds,
        securityGroups: [props.securityGroupId],
        assignPublicIp: props.assignPublicIp,
      },
      loadBalancer: [{ targetGroupArn: props.targetGroupArn, containerName: SERVER_CONTAINER_NAME, containerPort: SERVER_DEFAULTS.port }],
      propagateTags: "SERVICE",
      enableEcsManagedTags: true,
      dependsOn: [props.listener],
      // Application Auto Scaling owns the count once the service runs; Terraform must not pull it back on every apply.
      lifecycle: { ignoreChanges: ["desired_count"] },
    });
  }
}
