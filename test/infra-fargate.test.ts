import { join } from "node:path";
import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy/index.js";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target/index.js";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { DataAwsCallerIdentity } from "@cdktf/provider-aws/lib/data-aws-caller-identity/index.js";
import { DataAwsSubnets } from "@cdktf/provider-aws/lib/data-aws-subnets/index.js";
import { DataAwsVpc } from "@cdktf/provider-aws/lib/data-aws-vpc/index.js";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository/index.js";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster/index.js";
import { EcsService } from "@cdktf/provider-aws/lib/ecs-service/index.js";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { Lb } from "@cdktf/provider-aws/lib/lb/index.js";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener/index.js";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group/index.js";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group/index.js";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js";
import { beforeAll, describe, expect, it } from "vitest";
import { type Json, PROJECT_ROOT, synthesizeStack, type SynthesizedStack } from "./support/synthesize-stack.js";
import { SERVER_DEFAULTS, SERVER_ENV } from "../handler/server/settings.js";
import { FUNCTION_ENV } from "../handler/settings.js";
import { loadStageConfigs, parseStageConfig, type StageConfig, type StageConfigInput, StageConfigError } from "../infra/config.js";
import { DEFAULT_LOG_ROUTER_IMAGE, FARGATE_TASK_SIZES } from "../infra/fargate/fargate-config.js";
import { repositoryArnOf } from "../infra/fargate/task-execution-role.js";

const CONTEXT_HASH = "c".repeat(64);
const CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0f0e0d0c-1111-2222-3333-444455556666";
const EXISTING_URI = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/classifier@sha256:${"ab".repeat(32)}`;

interface Synthesized extends SynthesizedStack {
  name: string;
}
type Variant = Omit<StageConfigInput, "stage" | "region">;

function synthesizeConfig(config: StageConfig): Synthesized {
  return { ...synthesizeStack(config, CONTEXT_HASH), name: config.functionName };
}
const synthesize = (variant: Variant) => synthesizeConfig(parseStageConfig({ stage: "test", region: "eu-west-1", ...variant }, "fargate.json"));

/** The message of the configuration error for `fargate`; fails when it is accepted. */
function problemsOf(fargate: Json, stage: Json = {}): string {
  try {
    parseStageConfig({ stage: "test", region: "eu-west-1", ...stage, fargate }, "fargate.json");
  } catch (error) {
    expect(error).toBeInstanceOf(StageConfigError);
    return (error as Error).message;
  }
  throw new Error("configuration was accepted");
}

const resources = (s: Synthesized, type: string): [string, Json][] => Object.entries(s.tf.resource?.[type] ?? {});
const only = (s: Synthesized, type: string): [string, Json] => {
  const found = resources(s, type);
  expect(found, `exactly one ${type}`).toHaveLength(1);
  return found[0]!;
};
const ref = (s: Synthesized, type: string, attribute: string) => `\${${type}.${only(s, type)[0]}.${attribute}}`;
const refTo = (type: string, id: string, attribute: string) => `\${${type}.${id}.${attribute}}`;
const dataRef = (s: Synthesized, type: string, attribute: string) => `\${data.${type}.${Object.keys(s.tf.data[type])[0]}.${attribute}}`;
const byIdPart = (s: Synthesized, type: string, part: string): [string, Json] => {
  const found = resources(s, type).filter(([id]) => id.includes(part));
  expect(found, `one ${type} named *${part}*`).toHaveLength(1);
  return found[0]!;
};
const containers = (s: Synthesized): Json[] => JSON.parse(only(s, EcsTaskDefinition.tfResourceType)[1].container_definitions);
const container = (s: Synthesized, name: string): Json => containers(s).find((c) => c.name === name)!;
const environmentOf = (c: Json): Record<string, string> => Object.fromEntries(c.environment.map(({ name, value }: Json) => [name, value]));
const roleNamed = (s: Synthesized, suffix: string): [string, Json] => {
  const found = resources(s, IamRole.tfResourceType).filter(([, role]) => String(role.name).endsWith(suffix));
  expect(found, `one role named *${suffix}`).toHaveLength(1);
  return found[0]!;
};
const policyOf = (s: Synthesized, roleId: string): Json[] => {
  const policies = resources(s, IamRolePolicy.tfResourceType).filter(([, policy]) => policy.role === refTo(IamRole.tfResourceType, roleId, "id"));
  expect(policies).toHaveLength(1);
  return JSON.parse(policies[0]![1].policy).Statement;
};

const FARGATE_TYPES = [
  EcsCluster.tfResourceType,
  EcsService.tfResourceType,
  EcsTaskDefinition.tfResourceType,
  Lb.tfResourceType,
  LbListener.tfResourceType,
  LbTargetGroup.tfResourceType,
  SecurityGroup.tfResourceType,
  VpcSecurityGroupIngressRule.tfResourceType,
  VpcSecurityGroupEgressRule.tfResourceType,
  AppautoscalingTarget.tfResourceType,
  AppautoscalingPolicy.tfResourceType,
];

const HTTP: Variant = {
  s3InputAllowlist: [{ bucket: "input-bucket", prefix: "images/" }, { bucket: "other-bucket", prefix: "", expectedBucketOwner: "444455556666" }],
  logging: { retentionDays: 90 },
  fargate: { allowedCidrs: ["203.0.113.0/24", "198.51.100.7/32"] },
};
const HTTPS: Variant = {
  architecture: "arm64",
  image: { uri: EXISTING_URI },
  alarms: { enabled: false },
  fargate: {
    cpu: 2048,
    memoryMb: 8192,
    desiredCount: 3,
    minTasks: 2,
    maxTasks: 6,
    targetCpuUtilization: 50,
    targetRequestsPerTarget: 900,
    allowedCidrs: ["10.0.0.0/8"],
    internal: true,
    certificateArn: CERTIFICATE,
    vpcId: "vpc-0123456789abcdef0",
    subnetIds: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
    loadBalancerSubnetIds: ["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"],
    stopTimeoutSeconds: 60,
    deregistrationDelaySeconds: 45,
    healthCheckGracePeriodSeconds: 90,
    maxBodyBytes: 50_000_000,
    containerInsights: "enhanced",
    metrics: { extraction: "none" },
  },
};

let off: Synthesized;
let disabled: Synthesized;
let http: Synthesized;
let https: Synthesized;
beforeAll(() => {
  off = synthesize({});
  disabled = synthesize({ fargate: { enabled: false } });
  http = synthesize(HTTP);
  https = synthesize(HTTPS);
});

describe("without an enabled fargate block", () => {
  it("creates no ECS, load balancer, security group or autoscaling resource, no VPC lookup and no fargate output", () => {
    for (const s of [off, disabled]) {
      for (const type of FARGATE_TYPES) expect(resources(s, type), type).toEqual([]);
      expect(s.tf.data?.[DataAwsVpc.tfResourceType]).toBeUndefined();
      expect(Object.keys(s.tf.output).filter((name) => name.startsWith("fargate"))).toEqual([]);
      expect(resources(s, IamRole.tfResourceType)).toHaveLength(1);
    }
  });
});

describe("cluster and task definition", () => {
  it("creates the cluster with Container Insights as configured (off by default)", () => {
    expect(only(http, EcsCluster.tfResourceType)[1]).toMatchObject({ name: http.name, setting: [{ name: "containerInsights", value: "disabled" }] });
    expect(only(https, EcsCluster.tfResourceType)[1].setting).toEqual([{ name: "containerInsights", value: "enhanced" }]);
  });

  it("sizes a Fargate task for the function's architecture, with the execution role and (when it grants anything) the task role", () => {
    const [, task] = only(http, EcsTaskDefinition.tfResourceType);
    expect(task).toMatchObject({
      family: http.name,
      requires_compatibilities: ["FARGATE"],
      network_mode: "awsvpc",
      cpu: "1024",
      memory: "2048",
      runtime_platform: { operating_system_family: "LINUX", cpu_architecture: "X86_64" },
      execution_role_arn: refTo(IamRole.tfResourceType, roleNamed(http, "-ecs-execution")[0], "arn"),
      task_role_arn: refTo(IamRole.tfResourceType, roleNamed(http, "-ecs-task")[0], "arn"),
    });
    const [, big] = only(https, EcsTaskDefinition.tfResourceType);
    expect(big).toMatchObject({ cpu: "2048", memory: "8192", runtime_platform: { cpu_architecture: "ARM64" } });
    expect(big.task_role_arn, "no S3 allowlist and no FireLens: no AWS credentials at all").toBeUndefined();
  });

  it("runs the function's very image (same digest reference) with the server entry on the server port", () => {
    for (const s of [http, https]) {
      const server = container(s, "server");
      expect(server.image).toBe(only(s, LambdaFunction.tfResourceType)[1].image_uri);
      expect(server).toMatchObject({
        essential: true,
        entryPoint: ["/var/lang/bin/node"],
        command: ["/var/task/server.mjs"],
        portMappings: [{ containerPort: SERVER_DEFAULTS.port, protocol: "tcp" }],
        readonlyRootFilesystem: true,
      });
      expect(server.user).not.toMatch(/^(0|root)(:|$)/);
    }
    expect(container(https, "server").image).toBe(EXISTING_URI);
    expect(container(http, "server").image).toBe(`${ref(http, EcrRepository.tfResourceType, "repository_url")}@\${docker_registry_image.${Object.keys(http.tf.resource.docker_registry_image)[0]}.sha256_digest}`);
  });

  it("sets the function's environment with the server's variables over it, from the task's size and stop timeout", () => {
    const functionEnv = only(http, LambdaFunction.tfResourceType)[1].environment.variables as Record<string, string>;
    const server = container(http, "server");
    expect(server.stopTimeout).toBe(30);
    expect(environmentOf(server)).toEqual({
      ...functionEnv,
      [SERVER_ENV.port]: "8080",
      [SERVER_ENV.workers]: "1",
      [SERVER_ENV.memoryMb]: String(2048 - 64),
      [SERVER_ENV.drainSeconds]: "25",
      [FUNCTION_ENV.maxBodyBytes]: String(SERVER_DEFAULTS.maxBodyBytes),
      [FUNCTION_ENV.intraOpThreads]: "1",
    });
    expect(environmentOf(server)[FUNCTION_ENV.s3InputAllowlist]).toBe(functionEnv[FUNCTION_ENV.s3InputAllowlist]);
    expect(server.environment.map(({ name }: Json) => name)).toEqual(Object.keys(environmentOf(server)).sort());

    const big = container(https, "server");
    expect(big.stopTimeout).toBe(60);
    expect(environmentOf(big)).toMatchObject({
      [SERVER_ENV.workers]: "2",
      [SERVER_ENV.memoryMb]: "8192",
      [SERVER_ENV.drainSeconds]: "55",
      [FUNCTION_ENV.maxBodyBytes]: "50000000",
      [FUNCTION_ENV.intraOpThreads]: "1",
    });
  });

  it("writes to its own log group, kept as long as the function's", () => {
    const groups = resources(http, CloudwatchLogGroup.tfResourceType).map(([, group]) => group);
    expect(groups.map((group) => group.retention_in_days)).toEqual([90, 90]);
    const [id] = resources(http, CloudwatchLogGroup.tfResourceType).find(([, group]) => group.name === `/ecs/${http.name}`)!;
    const groupName = refTo(CloudwatchLogGroup.tfResourceType, id, "name");
    expect(container(https, "server").logConfiguration).toEqual({
      logDriver: "awslogs",
      options: {
        "awslogs-group": expect.stringMatching(/^\$\{aws_cloudwatch_log_group\./),
        "awslogs-region": "eu-west-1",
        "awslogs-stream-prefix": "server",
        mode: "non-blocking",
        "max-buffer-size": "25m",
      },
    });
    expect(container(http, "log-router").logConfiguration.options["awslogs-group"]).toBe(groupName);
    expect(container(http, "server").logConfiguration.options.log_group_name).toBe(groupName);
  });
});

describe("EMF metrics", () => {
  it("with FireLens (the default), sends stdout line by line through Fluent Bit with log_format json/emf", () => {
    expect(containers(http).map((c) => c.name)).toEqual(["log-router", "server"]);
    expect(container(http, "log-router")).toMatchObject({
      image: DEFAULT_LOG_ROUTER_IMAGE,
      essential: true,
      memoryReservation: 64,
      firelensConfiguration: { type: "fluentbit", options: { "enable-ecs-log-metadata": "false" } },
    });
    const server = container(http, "server");
    expect(server.dependsOn).toEqual([{ containerName: "log-router", condition: "START" }]);
    expect(server.logConfiguration).toEqual({
      logDriver: "awsfirelens",
      options: {
        Name: "cloudwatch_logs",
        region: "eu-west-1",
        log_group_name: expect.stringMatching(/^\$\{aws_cloudwatch_log_group\./),
        log_stream_prefix: "server/",
        log_key: "log",
        log_format: "json/emf",
        auto_create_group: "false",
      },
    });
  });

  it("with extraction none, runs the server alone on the awslogs driver", () => {
    expect(containers(https).map((c) => c.name)).toEqual(["server"]);
    expect(container(https, "server").dependsOn).toBeUndefined();
  });
});

describe("service", () => {
  it("runs on Fargate behind the target group with a rolling, self-rolling-back deployment", () => {
    const [, service] = only(http, EcsService.tfResourceType);
    expect(service).toMatchObject({
      name: http.name,
      cluster: ref(http, EcsCluster.tfResourceType, "arn"),
      task_definition: ref(http, EcsTaskDefinition.tfResourceType, "arn"),
      launch_type: "FARGATE",
      desired_count: 1,
      deployment_circuit_breaker: { enable: true, rollback: true },
      deployment_minimum_healthy_percent: 100,
      deployment_maximum_percent: 200,
      health_check_grace_period_seconds: 60,
      load_balancer: [{ target_group_arn: ref(http, LbTargetGroup.tfResourceType, "arn"), container_name: "server", container_port: 8080 }],
      lifecycle: { ignore_changes: ["desired_count"] },
    });
    expect(service.depends_on).toEqual([`${LbListener.tfResourceType}.${only(http, LbListener.tfResourceType)[0]}`]);
    expect(only(https, EcsService.tfResourceType)[1]).toMatchObject({ desired_count: 3, health_check_grace_period_seconds: 90 });
  });

  it("puts tasks in the default VPC's default subnets with a public IP (no NAT there), or in the configured subnets without one", () => {
    const [, service] = only(http, EcsService.tfResourceType);
    const tasksGroup = refTo(SecurityGroup.tfResourceType, byIdPart(http, SecurityGroup.tfResourceType, "tasks")[0], "id");
    expect(service.network_configuration).toEqual({
      subnets: dataRef(http, DataAwsSubnets.tfResourceType, "ids"),
      security_groups: [tasksGroup],
      assign_public_ip: true,
    });
    expect(http.tf.data[DataAwsVpc.tfResourceType]).toEqual({ [Object.keys(http.tf.data[DataAwsVpc.tfResourceType])[0]!]: { default: true } });
    expect(Object.values(http.tf.data[DataAwsSubnets.tfResourceType])).toEqual([
      {
        filter: [
          { name: "vpc-id", values: [dataRef(http, DataAwsVpc.tfResourceType, "id")] },
          { name: "default-for-az", values: ["true"] },
        ],
      },
    ]);
    expect(only(http, Lb.tfResourceType)[1].subnets).toBe(dataRef(http, DataAwsSubnets.tfResourceType, "ids"));

    expect(https.tf.data?.[DataAwsVpc.tfResourceType]).toBeUndefined();
    expect(https.tf.data?.[DataAwsSubnets.tfResourceType]).toBeUndefined();
    expect(only(https, EcsService.tfResourceType)[1].network_configuration).toMatchObject({
      subnets: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
      assign_public_ip: false,
    });
    expect(only(https, Lb.tfResourceType)[1].subnets).toEqual(["subnet-0bbbbbbbbbbbbbbb1", "subnet-0bbbbbbbbbbbbbbb2"]);
    expect(resources(https, SecurityGroup.tfResourceType).map(([, group]) => group.vpc_id)).toEqual(["vpc-0123456789abcdef0", "vpc-0123456789abcdef0"]);
    expect(only(https, LbTargetGroup.tfResourceType)[1].vpc_id).toBe("vpc-0123456789abcdef0");
    expect(synthesizeService({ assignPublicIp: true }).network_configuration.assign_public_ip).toBe(true);
  });
});

function synthesizeService(extra: Json): Json {
  const s = synthesize({ fargate: { ...(HTTPS.fargate as Json), ...extra } });
  return only(s, EcsService.tfResourceType)[1];
}

describe("load balancer", () => {
  it("forwards to the tasks by IP and checks GET /health for a 200, draining deregistered tasks as configured", () => {
    expect(only(http, LbTargetGroup.tfResourceType)[1]).toMatchObject({
      target_type: "ip",
      protocol: "HTTP",
      port: 8080,
      vpc_id: dataRef(http, DataAwsVpc.tfResourceType, "id"),
      deregistration_delay: "30",
      health_check: { enabled: true, path: "/health", matcher: "200", interval: 10, timeout: 5, healthy_threshold: 2, unhealthy_threshold: 3 },
      lifecycle: { create_before_destroy: true },
    });
    expect(only(https, LbTargetGroup.tfResourceType)[1].deregistration_delay).toBe("45");
  });

  it("is an application load balancer with its own security group, dropping invalid headers, idle timeout under the server's keep-alive", () => {
    const [, alb] = only(http, Lb.tfResourceType);
    expect(alb).toMatchObject({
      name: http.name,
      load_balancer_type: "application",
      internal: false,
      drop_invalid_header_fields: true,
      security_groups: [refTo(SecurityGroup.tfResourceType, byIdPart(http, SecurityGroup.tfResourceType, "load-balancer")[0], "id")],
    });
    expect(alb.idle_timeout * 1000).toBeLessThan(SERVER_DEFAULTS.keepAliveTimeoutMs);
    expect(only(https, Lb.tfResourceType)[1].internal).toBe(true);
  });

  it("without a certificate: one HTTP listener on 80 forwarding to the tasks, and an http:// URL", () => {
    expect(only(http, LbListener.tfResourceType)[1]).toEqual({
      load_balancer_arn: ref(http, Lb.tfResourceType, "arn"),
      port: 80,
      protocol: "HTTP",
      default_action: [{ type: "forward", target_group_arn: ref(http, LbTargetGroup.tfResourceType, "arn") }],
    });
    expect(http.tf.output.fargate_url.value).toBe(`http://${ref(http, Lb.tfResourceType, "dns_name")}`);
  });

  it("with a certificate: HTTPS on 443 forwarding, 80 redirecting to it with a 301, and an https:// URL", () => {
    const [, listener443] = byIdPart(https, LbListener.tfResourceType, "https");
    expect(listener443).toMatchObject({
      port: 443,
      protocol: "HTTPS",
      certificate_arn: CERTIFICATE,
      ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      default_action: [{ type: "forward", target_group_arn: ref(https, LbTargetGroup.tfResourceType, "arn") }],
    });
    const [, listener80] = byIdPart(https, LbListener.tfResourceType, "http-redirect");
    expect(listener80).toMatchObject({
      port: 80,
      protocol: "HTTP",
      default_action: [{ type: "redirect", redirect: { port: "443", protocol: "HTTPS", status_code: "HTTP_301" } }],
    });
    expect(resources(https, LbListener.tfResourceType)).toHaveLength(2);
    expect(https.tf.output.fargate_url.value).toBe(`https://${ref(https, Lb.tfResourceType, "dns_name")}`);
    const service = only(https, EcsService.tfResourceType)[1];
    expect(service.depends_on).toEqual([`${LbListener.tfResourceType}.${byIdPart(https, LbListener.tfResourceType, "https")[0]}`]);
  });
});

describe("security groups", () => {
  const sorted = (found: Json[]) => [...found].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const rules = (s: Synthesized) => {
    const groupId = (part: string) => refTo(SecurityGroup.tfResourceType, byIdPart(s, SecurityGroup.tfResourceType, part)[0], "id");
    const describe = (rule: Json) => ({
      group: rule.security_group_id === groupId("load-balancer") ? "alb" : rule.security_group_id === groupId("tasks") ? "tasks" : "?",
      port: [rule.from_port, rule.to_port, rule.ip_protocol],
      from: rule.cidr_ipv4 ?? (rule.referenced_security_group_id === groupId("load-balancer") ? "alb" : rule.referenced_security_group_id === groupId("tasks") ? "tasks" : "?"),
    });
    return {
      ingress: sorted(resources(s, VpcSecurityGroupIngressRule.tfResourceType).map(([, rule]) => describe(rule))),
      egress: sorted(resources(s, VpcSecurityGroupEgressRule.tfResourceType).map(([, rule]) => describe(rule))),
    };
  };

  it("lets the allowed CIDRs reach the listener ports only, and the load balancer reach the tasks' port only", () => {
    expect(rules(http)).toEqual({
      ingress: sorted([
        { group: "alb", port: [80, 80, "tcp"], from: "203.0.113.0/24" },
        { group: "alb", port: [80, 80, "tcp"], from: "198.51.100.7/32" },
        { group: "tasks", port: [8080, 8080, "tcp"], from: "alb" },
      ]),
      egress: sorted([
        { group: "alb", port: [8080, 8080, "tcp"], from: "tasks" },
        { group: "tasks", port: [443, 443, "tcp"], from: "0.0.0.0/0" },
      ]),
    });
    expect(rules(https).ingress).toEqual(sorted([
      { group: "alb", port: [80, 80, "tcp"], from: "10.0.0.0/8" },
      { group: "alb", port: [443, 443, "tcp"], from: "10.0.0.0/8" },
      { group: "tasks", port: [8080, 8080, "tcp"], from: "alb" },
    ]));
  });

  it("has no inline rules that would add to these", () => {
    for (const [, group] of [...resources(http, SecurityGroup.tfResourceType), ...resources(https, SecurityGroup.tfResourceType)]) {
      expect(group.ingress).toBeUndefined();
      expect(group.egress).toBeUndefined();
    }
  });

  it("warns when the load balancer is open to the whole internet", () => {
    expect(http.warnings.filter((w) => w.includes("0.0.0.0/0"))).toEqual([]);
    const open = synthesize({ fargate: { allowedCidrs: ["0.0.0.0/0"] } });
    expect(open.warnings.some((w) => w.includes("0.0.0.0/0") && w.includes("authenticates no one"))).toBe(true);
  });
});

describe("autoscaling", () => {
  it("tracks the service's CPU and the requests per target between minTasks and maxTasks", () => {
    for (const [s, min, max, cpu, requests] of [[http, 1, 4, 60, 1500], [https, 2, 6, 50, 900]] as const) {
      const [, target] = only(s, AppautoscalingTarget.tfResourceType);
      expect(target).toMatchObject({
        service_namespace: "ecs",
        scalable_dimension: "ecs:service:DesiredCount",
        resource_id: `service/${ref(s, EcsCluster.tfResourceType, "name")}/${ref(s, EcsService.tfResourceType, "name")}`,
        min_capacity: min,
        max_capacity: max,
      });
      const policies = resources(s, AppautoscalingPolicy.tfResourceType).map(([, policy]) => policy);
      expect(policies.map((policy) => policy.target_tracking_scaling_policy_configuration)).toEqual([
        {
          target_value: cpu,
          predefined_metric_specification: { predefined_metric_type: "ECSServiceAverageCPUUtilization" },
          scale_out_cooldown: 60,
          scale_in_cooldown: 300,
        },
        {
          target_value: requests,
          predefined_metric_specification: {
            predefined_metric_type: "ALBRequestCountPerTarget",
            resource_label: `${ref(s, Lb.tfResourceType, "arn_suffix")}/${ref(s, LbTargetGroup.tfResourceType, "arn_suffix")}`,
          },
          scale_out_cooldown: 60,
          scale_in_cooldown: 300,
        },
      ]);
      for (const policy of policies) {
        expect(policy).toMatchObject({ policy_type: "TargetTrackingScaling", resource_id: ref(s, AppautoscalingTarget.tfResourceType, "resource_id") });
      }
    }
  });
});

describe("IAM", () => {
  it("execution role: pulls from exactly the image's repository and writes exactly the task's log group", () => {
    for (const [s, repository] of [
      [http, ref(http, EcrRepository.tfResourceType, "arn")],
      [https, "arn:aws:ecr:eu-west-1:123456789012:repository/team/classifier"],
    ] as const) {
      const [id, role] = roleNamed(s, "-ecs-execution");
      expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
        { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" },
      ]);
      const logGroup = resources(s, CloudwatchLogGroup.tfResourceType).find(([, group]) => String(group.name).startsWith("/ecs/"))!;
      expect(policyOf(s, id)).toEqual([
        { Sid: "PullImage", Effect: "Allow", Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: repository },
        { Sid: "LogInToRegistry", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
        {
          Sid: "WriteOwnLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: `${refTo(CloudwatchLogGroup.tfResourceType, logGroup[0], "arn")}:*`,
        },
      ]);
    }
  });

  it("task role: reads the function's S3 allowlist exactly as the function's role does, routes its own logs, nothing else", () => {
    const [id, role] = roleNamed(http, "-ecs-task");
    const account = `\${data.${DataAwsCallerIdentity.tfResourceType}.${Object.keys(http.tf.data[DataAwsCallerIdentity.tfResourceType])[0]}.account_id}`;
    expect(JSON.parse(role.assume_role_policy).Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Service: "ecs-tasks.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": account } },
      },
    ]);
    const functionS3 = resources(http, IamRolePolicy.tfResourceType)
      .filter(([, policy]) => policy.name === "read-s3-input")
      .flatMap(([, policy]) => JSON.parse(policy.policy).Statement as Json[]);
    expect(functionS3).toHaveLength(2);
    const statements = policyOf(http, id);
    const s3 = statements.filter((statement) => statement.Sid.startsWith("ReadInputObjects"));
    expect(s3.map(({ Resource, Condition }) => ({ Resource: [Resource].flat(), Condition }))).toEqual(
      functionS3.map(({ Resource, Condition }) => ({ Resource: [Resource].flat(), Condition })),
    );
    expect(s3.flatMap((statement) => statement.Action)).toEqual(["s3:GetObject", "s3:GetObject"]);
    expect(s3.flatMap((statement) => statement.Resource)).toEqual(["arn:aws:s3:::input-bucket/images/*", "arn:aws:s3:::other-bucket/*"]);
    const logGroup = resources(http, CloudwatchLogGroup.tfResourceType).find(([, group]) => String(group.name).startsWith("/ecs/"))!;
    expect(statements.filter((statement) => !statement.Sid.startsWith("ReadInputObjects"))).toEqual([
      {
        Sid: "RouteOwnLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${refTo(CloudwatchLogGroup.tfResourceType, logGroup[0], "arn")}:*`,
      },
    ]);
  });

  it("no task role without an allowlist and FireLens; only the S3 grant with an allowlist and no FireLens", () => {
    expect(resources(https, IamRole.tfResourceType).map(([, role]) => role.name)).toEqual([`${https.name}-role`, `${https.name}-ecs-execution`]);
    const s3Only = synthesize({ ...HTTP, fargate: { ...(HTTP.fargate as Json), metrics: { extraction: "none" } } });
    const statements = policyOf(s3Only, roleNamed(s3Only, "-ecs-task")[0]);
    expect(statements.map((statement) => statement.Sid)).toEqual(["ReadInputObjects", "ReadInputObjects1"]);
  });

  it("derives the repository ARN of an existing image in every partition", () => {
    expect(repositoryArnOf("123456789012.dkr.ecr.eu-west-1.amazonaws.com/classifier")).toBe("arn:aws:ecr:eu-west-1:123456789012:repository/classifier");
    expect(repositoryArnOf("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/a/b")).toBe("arn:aws-cn:ecr:cn-north-1:123456789012:repository/a/b");
    expect(repositoryArnOf("123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/c")).toBe("arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/c");
    expect(() => repositoryArnOf("docker.io/library/node")).toThrow(/not an ECR repository URL/);
  });
});

describe("outputs", () => {
  it("names the URL, cluster, service and log group", () => {
    expect(Object.keys(http.tf.output).filter((name) => name.startsWith("fargate")).sort()).toEqual([
      "fargate_cluster_name",
      "fargate_log_group_name",
      "fargate_service_name",
      "fargate_url",
    ]);
    expect(http.tf.output.fargate_service_name.value).toBe(ref(http, EcsService.tfResourceType, "name"));
  });
});

describe("fargate configuration", () => {
  it("fills documented defaults", () => {
    const config = parseStageConfig({ stage: "test", region: "eu-west-1", fargate: { allowedCidrs: ["203.0.113.0/24"] } }, "t");
    expect(config.fargate).toEqual({
      enabled: true,
      cpu: 1024,
      memoryMb: 2048,
      minTasks: 1,
      maxTasks: 4,
      targetCpuUtilization: 60,
      targetRequestsPerTarget: 1500,
      scaleOutCooldownSeconds: 60,
      scaleInCooldownSeconds: 300,
      allowedCidrs: ["203.0.113.0/24"],
      internal: false,
      sslPolicy: "ELBSecurityPolicy-TLS13-1-2-2021-06",
      stopTimeoutSeconds: 30,
      deregistrationDelaySeconds: 30,
      healthCheckGracePeriodSeconds: 60,
      healthCheck: { intervalSeconds: 10, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
      minimumHealthyPercent: 100,
      maximumPercent: 200,
      maxBodyBytes: SERVER_DEFAULTS.maxBodyBytes,
      containerInsights: "disabled",
      metrics: { extraction: "firelens", logRouterImage: DEFAULT_LOG_ROUTER_IMAGE, logRouterMemoryMb: 64 },
    });
    expect(parseStageConfig({ stage: "test", region: "eu-west-1" }, "t").fargate).toBeUndefined();
  });

  it("accepts every cpu/memory pair Fargate offers, and only those", () => {
    expect(FARGATE_TASK_SIZES[1024]).toEqual([2048, 3072, 4096, 5120, 6144, 7168, 8192]);
    expect(FARGATE_TASK_SIZES[8192]).toEqual([16384, 20480, 24576, 28672, 32768, 36864, 40960, 45056, 49152, 53248, 57344, 61440]);
    // The smallest sizes also fail the memory budget (below 500 MB per worker); only the pair rule is looked at here.
    const pairProblem = (cpu: number, memoryMb: number) => {
      try {
        parseStageConfig({ stage: "t", region: "eu-west-1", fargate: { cpu, memoryMb, allowedCidrs: ["10.0.0.0/8"] } }, "t");
        return undefined;
      } catch (error) {
        return /must be a size Fargate offers/.exec((error as Error).message)?.[0];
      }
    };
    for (const [cpu, sizes] of Object.entries(FARGATE_TASK_SIZES)) {
      for (const memoryMb of sizes) expect(pairProblem(Number(cpu), memoryMb), `${cpu}/${memoryMb}`).toBeUndefined();
      expect(pairProblem(Number(cpu), sizes[0]! - 1024)).toBeDefined();
      expect(pairProblem(Number(cpu), sizes.at(-1)! + 1024)).toBeDefined();
    }
    expect(() => parseStageConfig({ stage: "t", region: "eu-west-1", fargate: { cpu: 16384, memoryMb: 122_880, allowedCidrs: ["10.0.0.0/8"] } }, "t")).not.toThrow();
  });

  it.each([
    [{ cpu: 1024, memoryMb: 1024 }, "fargate.memoryMb: must be a size Fargate offers with cpu 1024: 2048–8192 in steps of 1024"],
    [{ cpu: 256, memoryMb: 4096 }, "fargate.memoryMb: must be a size Fargate offers with cpu 256: 512–2048 in steps of 512"],
    [{ cpu: 4096, memoryMb: 9000 }, "fargate.memoryMb: must be a size Fargate offers with cpu 4096"],
    [{ cpu: 3000 }, "fargate.cpu: must be one of 256, 512, 1024, 2048, 4096, 8192, 16384"],
    [{ allowedCidrs: [] }, "fargate.allowedCidrs: is required"],
    [{ allowedCidrs: ["10.0.0.0/33"] }, "fargate.allowedCidrs.0: must be an IPv4 CIDR"],
    [{ allowedCidrs: ["example.com"] }, "fargate.allowedCidrs.0: must be an IPv4 CIDR"],
    [{ minTasks: 5, maxTasks: 2 }, "fargate.minTasks: must be ≤ maxTasks"],
    [{ desiredCount: 9 }, "fargate.desiredCount: must lie between minTasks (1) and maxTasks (4)"],
    [{ stopTimeoutSeconds: 121 }, "fargate.stopTimeoutSeconds"],
    [{ stopTimeoutSeconds: 5 }, "fargate.stopTimeoutSeconds"],
    [{ vpcId: "vpc-0123456789abcdef0" }, "fargate.subnetIds: vpcId and subnetIds go together"],
    [{ subnetIds: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"] }, "fargate.vpcId: vpcId and subnetIds go together"],
    [{ vpcId: "vpc-0123456789abcdef0", subnetIds: ["subnet-0aaaaaaaaaaaaaaa1"] }, "fargate.subnetIds: must name at least two subnets"],
    [{ loadBalancerSubnetIds: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"] }, "fargate.loadBalancerSubnetIds: needs vpcId"],
    [{ vpcId: "vpc-1" }, "fargate.vpcId: must be a VPC id"],
    [{ certificateArn: "arn:aws:iam::123456789012:server-certificate/x" }, "fargate.certificateArn: must be an ACM certificate ARN"],
    [{ healthCheck: { intervalSeconds: 5, timeoutSeconds: 5 } }, "fargate.healthCheck.timeoutSeconds: must be less than intervalSeconds"],
    [{ minimumHealthyPercent: 100, maximumPercent: 100 }, "fargate.maximumPercent: must be above minimumHealthyPercent"],
    [{ maxBodyBytes: 200 * 1024 * 1024 }, "fargate.memoryMb: gives each of the 1 workers 1984 MB, below the"],
    [{ metrics: { extraction: "cloudwatch-agent" } }, "fargate.metrics.extraction"],
    [{ containerInsights: true }, "fargate.containerInsights"],
    [{ desiredCapacity: 2 }, '"desiredCapacity"'],
  ])("rejects %j naming %s", (override, expected) => {
    const message = problemsOf({ allowedCidrs: ["203.0.113.0/24"], ...override });
    expect(message).toContain("fargate.json");
    expect(message).toContain(expected);
  });

  it("holds each worker's memory share to the worst request of the stage's limits", () => {
    // 4 workers share 8192 - 64 MB: 2032 MB each; 20 MB S3 objects × 16 push the worst request above it.
    const s3 = { s3InputAllowlist: [{ bucket: "input-bucket", prefix: "a/" }], limits: { maxS3ObjectBytes: 30_000_000 } };
    expect(problemsOf({ allowedCidrs: ["10.0.0.0/8"], cpu: 4096, memoryMb: 8192 }, { ...s3, memoryMb: 4096 })).toContain(
      "fargate.memoryMb: gives each of the 4 workers 2032 MB",
    );
    expect(() =>
      parseStageConfig({ stage: "t", region: "eu-west-1", ...s3, memoryMb: 4096, fargate: { allowedCidrs: ["10.0.0.0/8"], cpu: 4096, memoryMb: 16_384 } }, "t"),
    ).not.toThrow();
  });

  it("needs no allowedCidrs while disabled", () => {
    expect(parseStageConfig({ stage: "t", region: "eu-west-1", fargate: { enabled: false } }, "t").fargate?.enabled).toBe(false);
  });
});

describe("committed stages", () => {
  it("steady runs the worked example on Fargate (two tasks, FireLens, Container Insights); dev and prod have no fargate block", () => {
    const configs = loadStageConfigs({ configDir: join(PROJECT_ROOT, "infra/config"), env: {} });
    expect(configs.filter((config) => config.fargate).map((config) => config.stage)).toEqual(["steady"]);
    const steady = synthesizeConfig(configs.find((config) => config.stage === "steady")!);
    expect(only(steady, EcsService.tfResourceType)[1]).toMatchObject({ desired_count: 2, launch_type: "FARGATE" });
    expect(only(steady, AppautoscalingTarget.tfResourceType)[1]).toMatchObject({ min_capacity: 2, max_capacity: 10 });
    expect(only(steady, EcsCluster.tfResourceType)[1].setting).toEqual([{ name: "containerInsights", value: "enabled" }]);
    expect(containers(steady).map((c) => c.name)).toEqual(["log-router", "server"]);
    expect(steady.tf.output.fargate_url.value).toMatch(/^http:\/\//);
  });
});
