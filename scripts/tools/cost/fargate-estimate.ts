import {
  ALB_FREE_RULES,
  ALB_HOUR,
  ALB_LCU_HOUR,
  ALB_LISTENER_RULES,
  BYTES_PER_GB,
  checkTaskSize,
  CPU_UNITS_PER_VCPU,
  FARGATE_GB_HOUR,
  FARGATE_VCPU_HOUR,
  LCU_ACTIVE_CONNECTIONS_PER_MINUTE,
  LCU_NEW_CONNECTIONS_PER_SECOND,
  LCU_PROCESSED_GB_PER_HOUR,
  LCU_RULE_EVALUATIONS_PER_SECOND,
} from "./fargate-pricing.js";
import type { Architecture } from "./pricing.js";
import { HOURS_PER_MONTH } from "./pricing.js";
import { checkProfile, DAYS_PER_MONTH, requestsPerMonth, type TrafficProfile } from "./traffic-profile.js";

export interface FargateService {
  architecture: Architecture;
  /** ECS CPU units (1024 = 1 vCPU) and memory of one task: a Fargate task size. */
  taskCpuUnits: number;
  taskMemoryMB: number;
  /** Requests per second one task serves with its CPUs fully busy. */
  taskRps: number;
  /** Share of taskRps the autoscaling keeps each task at (0 < u ≤ 1). */
  targetUtilization: number;
  /** Tasks kept running whatever the traffic (one per Availability Zone for two zones: 2). */
  minTasks: number;
}

export function checkService(service: FargateService): void {
  checkTaskSize(service.taskCpuUnits, service.taskMemoryMB);
  if (!Number.isFinite(service.taskRps) || service.taskRps <= 0) throw new RangeError(`task requests per second must be positive, got ${service.taskRps}`);
  const u = service.targetUtilization;
  if (!Number.isFinite(u) || u <= 0 || u > 1) throw new RangeError(`target utilization must be above 0 and at most 1, got ${u}`);
  if (!Number.isInteger(service.minTasks) || service.minTasks < 1) throw new RangeError(`minimum tasks must be a whole number ≥ 1, got ${service.minTasks}`);
}

/** USD per hour of one running task. */
export function taskHourlyPrice(service: Pick<FargateService, "architecture" | "taskCpuUnits" | "taskMemoryMB">): number {
  const { architecture: arch } = service;
  return (service.taskCpuUnits / CPU_UNITS_PER_VCPU) * FARGATE_VCPU_HOUR[arch] + (service.taskMemoryMB / 1024) * FARGATE_GB_HOUR[arch];
}

/** Tasks the service runs for a steady rate: enough to stay at or below the target utilization, never under the minimum. */
export function tasksFor(rps: number, service: FargateService): number {
  return Math.max(service.minTasks, Math.ceil(rps / (service.taskRps * service.targetUtilization)));
}

/** The four LCU dimensions of an hour at a steady rate, each in LCUs. */
export interface LcuDimensions {
  /** Each connection carries `requestsPerConnection` requests (1: clients without keep-alive, the worst case). */
  newConnections: number;
  /** Connections live under a minute, so each counts once in its minute. */
  activeConnections: number;
  processedBytes: number;
  /** Zero while the listener has no more rules than the free ten. */
  ruleEvaluations: number;
}

export function lcuDimensions(rps: number, bytesPerRequest: number, requestsPerConnection = 1): LcuDimensions {
  const connectionsPerSecond = rps / requestsPerConnection;
  return {
    newConnections: connectionsPerSecond / LCU_NEW_CONNECTIONS_PER_SECOND,
    activeConnections: (connectionsPerSecond * 60) / LCU_ACTIVE_CONNECTIONS_PER_MINUTE,
    processedBytes: (rps * 3600 * bytesPerRequest) / BYTES_PER_GB / LCU_PROCESSED_GB_PER_HOUR,
    ruleEvaluations: (rps * Math.max(0, ALB_LISTENER_RULES - ALB_FREE_RULES)) / LCU_RULE_EVALUATIONS_PER_SECOND,
  };
}

/** LCUs billed for an hour: the busiest dimension. */
export function lcusFor(rps: number, bytesPerRequest: number, requestsPerConnection = 1): number {
  return Math.max(...Object.values(lcuDimensions(rps, bytesPerRequest, requestsPerConnection)));
}

export interface FargateCost {
  taskHourly: number;
  /** Tasks running in each hour of the typical day. */
  hourlyTasks: number[];
  /** Task-hours in the month (each hour of the day occurs 730/24 times). */
  taskHours: number;
  tasks: number;
  loadBalancerHours: number;
  lcuHours: number;
  loadBalancerCapacity: number;
  loadBalancer: number;
  total: number;
  perMillionRequests: number;
  /** Requests served over requests the running tasks could serve at 100% (0..1). */
  utilisation: number;
}

/**
 * A month of the service for the profile: each hour's tasks run the whole hour (scaling happens at the hour's edges;
 * per-second billing with its one-minute minimum never binds for tasks that run an hour), plus the load balancer.
 */
export function estimateFargateCost(profile: TrafficProfile, service: FargateService): FargateCost {
  checkProfile(profile);
  checkService(service);
  const bytes = profile.requestBytes + profile.responseBytes;
  const taskHourly = taskHourlyPrice(service);
  const hourlyTasks = profile.hourlyRps.map((rps) => tasksFor(rps, service));
  const taskHours = hourlyTasks.reduce((sum, tasks) => sum + tasks, 0) * DAYS_PER_MONTH;
  const lcuHours = profile.hourlyRps.reduce((sum, rps) => sum + lcusFor(rps, bytes, profile.requestsPerConnection), 0) * DAYS_PER_MONTH;
  const tasks = taskHours * taskHourly;
  const loadBalancerHours = HOURS_PER_MONTH * ALB_HOUR;
  const loadBalancerCapacity = lcuHours * ALB_LCU_HOUR;
  const total = tasks + loadBalancerHours + loadBalancerCapacity;
  const requests = requestsPerMonth(profile);
  return {
    taskHourly,
    hourlyTasks,
    taskHours,
    tasks,
    loadBalancerHours,
    lcuHours,
    loadBalancerCapacity,
    loadBalancer: loadBalancerHours + loadBalancerCapacity,
    total,
    perMillionRequests: requests > 0 ? (total / requests) * 1e6 : 0,
    utilisation: requests / (taskHours * 3600 * service.taskRps),
  };
}
