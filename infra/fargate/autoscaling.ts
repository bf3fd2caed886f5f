import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy/index.js";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target/index.js";
import type { ITerraformDependable } from "cdktf";
import { Construct } from "constructs";

export interface ServiceAutoscalingProps {
  readonly namePrefix: string;
  readonly clusterName: string;
  readonly serviceName: string;
  readonly minTasks: number;
  readonly maxTasks: number;
  /** Average CPU of the service, in percent. */
  readonly targetCpuUtilization: number;
  /** Requests per task per minute (ALBRequestCountPerTarget). */
  readonly targetRequestsPerTarget: number;
  /** `<load balancer arn suffix>/<target group arn suffix>`: which target group's request count. */
  readonly requestCountResourceLabel: string;
  readonly scaleOutCooldownSeconds: number;
  readonly scaleInCooldownSeconds: number;
  /** The service, and the listener that attaches its target group (the request-count metric needs both). */
  readonly dependsOn: ITerraformDependable[];
}

/** Tasks between min and max, scaled on CPU and on requests per task: whichever asks for more tasks wins. */
export class ServiceAutoscaling extends Construct {
  readonly target: AppautoscalingTarget;
  readonly policies: AppautoscalingPolicy[];

  constructor(scope: Construct, id: string, props: ServiceAutoscalingProps) {
    super(scope, id);
    this.target = new AppautoscalingTarget(this, "target", {
      serviceNamespace: "ecs",
      scalableDimension: "ecs:service:DesiredCount",
      resourceId: `service/${props.clusterName}/${props.serviceName}`,
      minCapacity: props.minTasks,
      maxCapacity: props.maxTasks,
      dependsOn: props.dependsOn,
    });
    const policy = (name: string, targetValue: number, predefinedMetricType: string, resourceLabel?: string) =>
      new AppautoscalingPolicy(this, name, {
        name: `${props.namePrefix}-${name}`,
        policyType: "TargetTrackingScaling",
        serviceNamespace: this.target.serviceNamespace,
        scalableDimension: this.target.scalableDimension,
        resourceId: this.target.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          targetValue,
          predefinedMetricSpecification: { predefinedMetricType, resourceLabel },
          scaleOutCooldown: props.scaleOutCooldownSeconds,
          scaleInCooldown: props.scaleInCooldownSeconds,
        },
      });
    this.policies = [
      policy("cpu", props.targetCpuUtilization, "ECSServiceAverageCPUUtilization"),
      policy("requests", props.targetRequestsPerTarget, "ALBRequestCountPerTarget", props.requestCountResourceLabel),
    ];
  }
}
