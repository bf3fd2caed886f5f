import { SERVER_DEFAULTS } from "../../handler/server/settings.js";

export const SERVER_CONTAINER_NAME = "server";
export const LOG_ROUTER_CONTAINER_NAME = "log-router";
/** The Lambda base image's Node and the server bundle beside index.mjs in the task root. */
export const SERVER_ENTRY_POINT = ["/var/lang/bin/node"] as const;
export const SERVER_COMMAND = ["/var/task/server.mjs"] as const;
/** Lambda runs images as a non-root user as well, so everything the server reads is readable by any user. */
export const SERVER_USER = "1000:1000";

export interface LogRouter {
  /** The Fluent Bit image (aws-for-fluent-bit). */
  readonly image: string;
  readonly memoryReservationMb: number;
}

export interface ContainerDefinitionsProps {
  /** The function's image, by digest. */
  readonly imageUri: string;
  readonly environment: Record<string, string>;
  readonly stopTimeoutSeconds: number;
  readonly logGroupName: string;
  readonly region: string;
  /** FireLens: a Fluent Bit sidecar sends the server's stdout to CloudWatch as EMF. Without it: the awslogs driver. */
  readonly logRouter?: LogRouter;
}

const awslogs = (props: ContainerDefinitionsProps, streamPrefix: string) => ({
  logDriver: "awslogs",
  options: {
    "awslogs-group": props.logGroupName,
    "awslogs-region": props.region,
    "awslogs-stream-prefix": streamPrefix,
    mode: "non-blocking",
    "max-buffer-size": "25m",
  },
});

/**
 * The cloudwatch_logs output of Fluent Bit: `log_key log` sends each stdout line as it was printed, and
 * `log_format json/emf` makes CloudWatch extract the metrics of the EMF lines among them (as it does in Lambda).
 */
const firelens = (props: ContainerDefinitionsProps) => ({
  logDriver: "awsfirelens",
  options: {
    Name: "cloudwatch_logs",
    region: props.region,
    log_group_name: props.logGroupName,
    log_stream_prefix: `${SERVER_CONTAINER_NAME}/`,
    log_key: "log",
    log_format: "json/emf",
    auto_create_group: "false",
  },
});

/** The task's containers: the server (the function's image with the entry overridden) and, with FireLens, its log router. */
export function containerDefinitions(props: ContainerDefinitionsProps): object[] {
  const server = {
    name: SERVER_CONTAINER_NAME,
    image: props.imageUri,
    essential: true,
    // Without an override the base image's entrypoint starts the Lambda runtime interface emulator.
    entryPoint: [...SERVER_ENTRY_POINT],
    command: [...SERVER_COMMAND],
    portMappings: [{ name: "http", containerPort: SERVER_DEFAULTS.port, protocol: "tcp" }],
    environment: Object.entries(props.environment)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value })),
    stopTimeout: props.stopTimeoutSeconds,
    // The server writes no files (handler/ has no file writes; the model is read from the image).
    readonlyRootFilesystem: true,
    user: SERVER_USER,
    logConfiguration: props.logRouter ? firelens(props) : awslogs(props, SERVER_CONTAINER_NAME),
    ...(props.logRouter && { dependsOn: [{ containerName: LOG_ROUTER_CONTAINER_NAME, condition: "START" }] }),
  };
  if (!props.logRouter) return [server];
  const router = {
    name: LOG_ROUTER_CONTAINER_NAME,
    image: props.logRouter.image,
    essential: true,
    memoryReservation: props.logRouter.memoryReservationMb,
    firelensConfiguration: { type: "fluentbit", options: { "enable-ecs-log-metadata": "false" } },
    logConfiguration: awslogs(props, LOG_ROUTER_CONTAINER_NAME),
  };
  return [router, server];
}
