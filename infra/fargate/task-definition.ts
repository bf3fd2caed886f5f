import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition/index.js";
import { Construct } from "constructs";
import type { Architecture } from "../constructs/container-image.js";
import { containerDefinitions, type ContainerDefinitionsProps } from "./container-definitions.js";

/** Lambda architecture → ECS runtimePlatform.cpuArchitecture. */
export const ECS_CPU_ARCHITECTURE: Record<Architecture, string> = { x86_64: "X86_64", arm64: "ARM64" };

export interface TaskDefinitionProps extends ContainerDefinitionsProps {
  readonly family: string;
  /** CPU units (1024 = 1 vCPU) and MiB: a pair Fargate offers. */
  readonly cpu: number;
  readonly memoryMb: number;
  /** The function's architecture: the image is built for it. */
  readonly architecture: Architecture;
  readonly executionRoleArn: string;
  /** Absent: the containers get no AWS credentials. */
  readonly taskRoleArn?: string;
}

/** A Fargate task: the function's image running the HTTP server entry (and the log router with FireLens). */
export class TaskDefinition extends Construct {
  readonly taskDefinition: EcsTaskDefinition;

  constructor(scope: Construct, id: string, props: TaskDefinitionProps) {
    super(scope, id);
    this.taskDefinition = new EcsTaskDefinition(this, "task", {
      family: props.family,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(props.cpu),
      memory: String(props.memoryMb),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: ECS_CPU_ARCHITECTURE[props.architecture] },
      executionRoleArn: props.executionRoleArn,
      taskRoleArn: props.taskRoleArn,
      containerDefinitions: JSON.stringify(containerDefinitions(props)),
    });
  }
}
