import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy/index.js";
import { AppautoscalingScheduledAction } from "@cdktf/provider-aws/lib/appautoscaling-scheduled-action/index.js";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target/index.js";
import type { LambdaAlias } from "@cdktf/provider-aws/lib/lambda-alias/index.js";
import { LambdaProvisionedConcurrencyConfig } from "@cdktf/provider-aws/lib/lambda-provisioned-concurrency-config/index.js";
import { Construct } from "constructs";

export interface ScheduledCapacity {
  name: string;
  schedule: string;
  timezone: string;
  minCapacity: number;
  maxCapacity: number;
}

export interface ProvisionedConcurrencyProps {
  functionName: string;
  alias: LambdaAlias;
  /** Instances kept initialised on the alias; the initial value when autoscaling is on. */
  count: number;
  autoscaling?: { minCapacity: number; maxCapacity: number; targetUtilization: number; scheduledActions: ScheduledCapacity[] };
}

/** Provisioned concurrency on the alias (never $LATEST), optionally scaled by Application Auto Scaling. */
export class ProvisionedConcurrency extends Construct {
  readonly config: LambdaProvisionedConcurrencyConfig;

  constructor(scope: Construct, id: string, props: ProvisionedConcurrencyProps) {
    super(scope, id);
    const { alias, autoscaling } = props;

    this.config = new LambdaProvisionedConcurrencyConfig(this, "config", {
      functionName: alias.functionName,
      qualifier: alias.name,
      provisionedConcurrentExecutions: props.count,
      dependsOn: [alias],
      // Once Application Auto Scaling owns the number, Terraform must not pull it back on every apply.
      lifecycle: autoscaling ? { ignoreChanges: ["provisioned_concurrent_executions"] } : undefined,
    });
    if (!autoscaling) return;

    const target = new AppautoscalingTarget(this, "target", {
      serviceNamespace: "lambda",
      scalableDimension: "lambda:function:ProvisionedConcurrency",
      resourceId: `function:${props.functionName}:${alias.name}`,
      minCapacity: autoscaling.minCapacity,
      maxCapacity: autoscaling.maxCapacity,
      dependsOn: [this.config],
    });

    new AppautoscalingPolicy(this, "utilization", {
      name: `${props.functionName}-pc-utilization`,
      policyType: "TargetTrackingScaling",
      serviceNamespace: target.serviceNamespace,
      scalableDimension: target.scalableDimension,
      resourceId: target.resourceId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: autoscaling.targetUtilization,
        predefinedMetricSpecification: { predefinedMetricType: "LambdaProvisionedConcurrencyUtilization" },
      },
    });

    autoscaling.scheduledActions.forEach((action) => {
      new AppautoscalingScheduledAction(this, `schedule-${action.name}`, {
        name: `${props.functionName}-${action.name}`,
        serviceNamespace: target.serviceNamespace,
        scalableDimension: target.scalableDimension,
        resourceId: target.resourceId,
        schedule: action.schedule,
        timezone: action.timezone,
        scalableTargetAction: { minCapacity: String(action.minCapacity), maxCapacity: String(action.maxCapacity) },
      });
    });
  }
}
