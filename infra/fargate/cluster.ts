import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster/index.js";
import { Construct } from "constructs";

export interface ClusterProps {
  readonly name: string;
  /** CloudWatch Container Insights: `disabled`, `enabled` or `enhanced` (billed per metric). */
  readonly containerInsights: "disabled" | "enabled" | "enhanced";
}

/** The ECS cluster the service runs in (Fargate needs no instances). */
export class Cluster extends Construct {
  readonly cluster: EcsCluster;

  constructor(scope: Construct, id: string, props: ClusterProps) {
    super(scope, id);
    this.cluster = new EcsCluster(this, "cluster", {
      name: props.name,
      setting: [{ name: "containerInsights", value: props.containerInsights }],
    });
  }
}
