import { z } from "zod";
import { MEMORY_HEADROOM, minimumMemoryMb, type RequestLimits } from "../../handler/memory-budget.js";
import { SERVER_DEFAULTS } from "../../handler/server/settings.js";

const range = (from: number, to: number, step: number): number[] => Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);

/** The task sizes Fargate accepts: CPU units (1024 = 1 vCPU) → the memory sizes (MiB) allowed with them. */
export const FARGATE_TASK_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: range(1024, 4096, 1024),
  1024: range(2048, 8192, 1024),
  2048: range(4096, 16_384, 1024),
  4096: range(8192, 30_720, 1024),
  8192: range(16_384, 61_440, 4096),
  16384: range(32_768, 122_880, 8192),
};
const CPU_UNITS = Object.keys(FARGATE_TASK_SIZES).map(Number);

/** ECS sends SIGKILL this long after SIGTERM at most (the task definition's stopTimeout may not exceed it). */
export const ECS_MAX_STOP_TIMEOUT_SECONDS = 120;
/** SERVER_DRAIN_SECONDS is the stop timeout minus this: the server exits on its own before ECS kills it. */
export const DRAIN_MARGIN_SECONDS = 5;

/** aws-for-fluent-bit, the FireLens log router AWS publishes (pin a version tag or digest for production). */
export const DEFAULT_LOG_ROUTER_IMAGE = "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable";

const ipv4Cidr = z.cidrv4({ message: "must be an IPv4 CIDR such as 203.0.113.0/24 (0.0.0.0/0 opens the load balancer to the internet)" });
const subnetId = z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "must be a subnet id (subnet-…)");

const healthCheckSchema = z.strictObject({
  /** Seconds between the load balancer's GET /health checks of each task. */
  intervalSeconds: z.number().int().min(5).max(300).default(10),
  timeoutSeconds: z.number().int().min(2).max(120).default(5),
  /** Consecutive successes before a new task receives traffic. */
  healthyThreshold: z.number().int().min(2).max(10).default(2),
  /** Consecutive failures before a task is taken out (and replaced by ECS). */
  unhealthyThreshold: z.number().int().min(2).max(10).default(3),
});

const metricsSchema = z.strictObject({
  /**
   * How the EMF lines the server prints reach CloudWatch Metrics. `firelens`: a Fluent Bit sidecar sends stdout with
   * `log_format json/emf`, so CloudWatch extracts the metrics as it does for Lambda. `none`: the awslogs driver only
   * (logs, but no metrics from them: CloudWatch extracts EMF only from Lambda or from requests that declare it).
   */
  extraction: z.enum(["firelens", "none"]).default("firelens"),
  logRouterImage: z.string().min(1).default(DEFAULT_LOG_ROUTER_IMAGE),
  /** The log router's memory reservation, taken from the task's memory before the server's share. */
  logRouterMemoryMb: z.number().int().min(32).max(1024).default(64),
});

export const fargateConfigSchema = z.strictObject({
  /** Set false to keep the block but deploy nothing of it. */
  enabled: z.boolean().default(true),
  /** CPU units of a task (1024 = 1 vCPU): 256, 512, 1024, 2048, 4096, 8192 or 16384. */
  cpu: z
    .number()
    .refine((cpu) => CPU_UNITS.includes(cpu), { message: `must be one of ${CPU_UNITS.join(", ")} (CPU units; 1024 = 1 vCPU)` })
    .default(1024),
  /** Memory of a task in MiB; must be a size Fargate offers with `cpu` (FARGATE_TASK_SIZES). */
  memoryMb: z.number().int().default(2048),
  /** Tasks at the first deploy; default minTasks. Afterwards autoscaling owns the number. */
  desiredCount: z.number().int().min(1).optional(),
  minTasks: z.number().int().min(1).default(1),
  maxTasks: z.number().int().min(1).max(1000).default(4),
  /** Target-tracking on the service's average CPU, in percent. */
  targetCpuUtilization: z.number().min(10).max(90).default(60),
  /**
   * Target-tracking on ALBRequestCountPerTarget: requests per task per minute. Default 1500 (25 requests/s): the
   * bench's server entry serves ≈ 73 requests/s on one vCPU of its machine; a Fargate vCPU is a hyperthread, so about
   * half of that, at the 60 % CPU target ≈ 25.
   */
  targetRequestsPerTarget: z.number().int().min(1).default(1500),
  scaleOutCooldownSeconds: z.number().int().min(0).max(3600).default(60),
  scaleInCooldownSeconds: z.number().int().min(0).max(3600).default(300),
  /** Who may reach the load balancer (its only ingress); required when enabled, since nothing authenticates callers. */
  allowedCidrs: z.array(ipv4Cidr).default([]),
  /** An internal load balancer (reachable only inside the VPC and what is routed to it). */
  internal: z.boolean().default(false),
  /** ACM certificate for an HTTPS listener on 443 (and a redirect from 80); without it, HTTP on 80 only. */
  certificateArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/, "must be an ACM certificate ARN")
    .optional(),
  sslPolicy: z.string().min(1).default("ELBSecurityPolicy-TLS13-1-2-2021-06"),
  /** The VPC to run in, with `subnetIds`; default: the region's default VPC and its default subnets. */
  vpcId: z.string().regex(/^vpc-[0-9a-f]{8,17}$/, "must be a VPC id (vpc-…)").optional(),
  /** Subnets of the tasks (and of the load balancer unless loadBalancerSubnetIds is set). */
  subnetIds: z.array(subnetId).min(1).optional(),
  /** Subnets of the load balancer (at least two, in different Availability Zones); default subnetIds. */
  loadBalancerSubnetIds: z.array(subnetId).min(2, "must name at least two subnets (an ALB spans two Availability Zones)").optional(),
  /**
   * A public IP per task: how tasks reach ECR, S3 and CloudWatch in a subnet without a NAT gateway (the default VPC
   * has none). Default: true in the default VPC, false with subnetIds (give those a NAT gateway or VPC endpoints).
   */
  assignPublicIp: z.boolean().optional(),
  /** Seconds between SIGTERM and SIGKILL (ECS's stopTimeout, at most 120); the server drains for 5 s less. */
  stopTimeoutSeconds: z.number().int().min(DRAIN_MARGIN_SECONDS + 1).max(ECS_MAX_STOP_TIMEOUT_SECONDS).default(30),
  /** Seconds the load balancer keeps sending a deregistering task its in-flight requests before ECS stops it. */
  deregistrationDelaySeconds: z.number().int().min(0).max(3600).default(30),
  /** Seconds ECS ignores failing health checks of a new task (model load and warm-up). */
  healthCheckGracePeriodSeconds: z.number().int().min(0).max(7200).default(60),
  healthCheck: healthCheckSchema.prefault({}),
  /** Rolling deployments: tasks kept running (percent of desired) and the most running at once. */
  minimumHealthyPercent: z.number().int().min(0).max(100).default(100),
  maximumPercent: z.number().int().min(100).max(400).default(200),
  /** MAX_BODY_BYTES of the server (no 6 MB invoke limit in front of it). */
  maxBodyBytes: z.number().int().min(1).max(1024 * 1024 * 1024).default(SERVER_DEFAULTS.maxBodyBytes),
  /** CloudWatch Container Insights on the cluster (billed per metric). */
  containerInsights: z.enum(["disabled", "enabled", "enhanced"]).default("disabled"),
  metrics: metricsSchema.prefault({}),
});

export type FargateConfigInput = z.input<typeof fargateConfigSchema>;
export type FargateConfig = z.output<typeof fargateConfigSchema>;

export interface FargateIssue {
  path: (string | number)[];
  message: string;
}

/** Worker threads of the server: one per whole vCPU of the task, at least one. */
export function workersOf(fargate: Pick<FargateConfig, "cpu">): number {
  return Math.max(1, Math.floor(fargate.cpu / 1024));
}

/** SERVER_MEMORY_MB: the task's memory less the log router's reservation. */
export function serverMemoryMbOf(fargate: Pick<FargateConfig, "memoryMb" | "metrics">): number {
  return fargate.memoryMb - (fargate.metrics.extraction === "firelens" ? fargate.metrics.logRouterMemoryMb : 0);
}

/** The rules that span fields of the fargate block (paths relative to the stage). */
export function fargateIssues(fargate: FargateConfig, stage: { limits: RequestLimits; decodes: number }): FargateIssue[] {
  const issues: FargateIssue[] = [];
  const issue = (field: string, message: string) => issues.push({ path: ["fargate", field], message });
  const memorySizes = FARGATE_TASK_SIZES[fargate.cpu];
  if (memorySizes && !memorySizes.includes(fargate.memoryMb)) {
    const step = memorySizes[1]! - memorySizes[0]!;
    issue("memoryMb", `must be a size Fargate offers with cpu ${fargate.cpu}: ${memorySizes[0]}–${memorySizes.at(-1)} in steps of ${step}`);
  }
  if (fargate.minTasks > fargate.maxTasks) issue("minTasks", "must be ≤ maxTasks");
  const desired = fargate.desiredCount;
  if (desired !== undefined && (desired < fargate.minTasks || desired > fargate.maxTasks)) {
    issue("desiredCount", `must lie between minTasks (${fargate.minTasks}) and maxTasks (${fargate.maxTasks})`);
  }
  if (fargate.enabled && fargate.allowedCidrs.length === 0) {
    issue("allowedCidrs", 'is required: the load balancer\'s only ingress (nothing authenticates callers); "0.0.0.0/0" opens it to the internet');
  }
  if ((fargate.vpcId === undefined) !== (fargate.subnetIds === undefined)) {
    issue(fargate.vpcId === undefined ? "vpcId" : "subnetIds", "vpcId and subnetIds go together (without both: the default VPC)");
  }
  if (fargate.loadBalancerSubnetIds && fargate.vpcId === undefined) issue("loadBalancerSubnetIds", "needs vpcId and subnetIds");
  if (fargate.subnetIds && !fargate.loadBalancerSubnetIds && fargate.subnetIds.length < 2) {
    issue("subnetIds", "must name at least two subnets (the load balancer spans two Availability Zones), or set loadBalancerSubnetIds");
  }
  if (fargate.healthCheck.timeoutSeconds >= fargate.healthCheck.intervalSeconds) {
    issues.push({ path: ["fargate", "healthCheck", "timeoutSeconds"], message: "must be less than intervalSeconds" });
  }
  if (fargate.maximumPercent <= fargate.minimumHealthyPercent) {
    issue("maximumPercent", "must be above minimumHealthyPercent (else a deployment cannot start a new task)");
  }
  const workers = workersOf(fargate);
  const perWorker = Math.floor(serverMemoryMbOf(fargate) / workers);
  const needed = minimumMemoryMb({ ...stage.limits, maxBodyBytes: fargate.maxBodyBytes }, stage.decodes);
  if (memorySizes?.includes(fargate.memoryMb) && perWorker < needed) {
    issue(
      "memoryMb",
      `gives each of the ${workers} workers ${perWorker} MB, below the ${needed} MB the worst request needs (bodies of ` +
        `${fargate.maxBodyBytes} bytes, the stage's limits) under ${MEMORY_HEADROOM * 100} %; raise memoryMb or lower maxBodyBytes or limits`,
    );
  }
  return issues;
}
