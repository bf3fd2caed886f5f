import { Lb } from "@cdktf/provider-aws/lib/lb/index.js";
import { LbListener } from "@cdktf/provider-aws/lib/lb-listener/index.js";
import { LbTargetGroup } from "@cdktf/provider-aws/lib/lb-target-group/index.js";
import { Construct } from "constructs";
import { SERVER_DEFAULTS } from "../../handler/server/settings.js";
import { HTTP_PORT, HTTPS_PORT } from "./security-groups.js";

/** The server answers the load balancer's checks here without queueing them behind classifications. */
export const HEALTH_CHECK_PATH = "/health";
/** Below the server's keep-alive timeout (65 s), so the load balancer closes idle connections first. */
export const IDLE_TIMEOUT_SECONDS = 60;

export interface LoadBalancerProps {
  /** Up to 32 letters, digits or hyphens. */
  readonly name: string;
  readonly internal: boolean;
  readonly vpcId: string;
  readonly subnetIds: string[];
  readonly securityGroupId: string;
  /** HTTPS on 443 with this ACM certificate, and 80 redirecting to it; without: HTTP on 80. */
  readonly certificateArn?: string;
  readonly sslPolicy: string;
  readonly deregistrationDelaySeconds: number;
  readonly healthCheck: { intervalSeconds: number; timeoutSeconds: number; healthyThreshold: number; unhealthyThreshold: number };
}

/** `name` as an ALB accepts it: letters, digits and inner hyphens, at most 32. */
export function loadBalancerName(name: string): string {
  return name.replace(/[^A-Za-z0-9-]/g, "-").slice(0, 32).replace(/^-+|-+$/g, "");
}

/** An Application Load Balancer forwarding to the tasks by IP, checking GET /health on each. */
export class LoadBalancer extends Construct {
  readonly alb: Lb;
  readonly targetGroup: LbTargetGroup;
  /** The listener that forwards to the target group (the service waits for it). */
  readonly forwardingListener: LbListener;
  readonly url: string;

  constructor(scope: Construct, id: string, props: LoadBalancerProps) {
    super(scope, id);
    this.alb = new Lb(this, "alb", {
      name: loadBalancerName(props.name),
      loadBalancerType: "application",
      internal: props.internal,
      subnets: props.subnetIds,
      securityGroups: [props.securityGroupId],
      idleTimeout: IDLE_TIMEOUT_SECONDS,
      dropInvalidHeaderFields: true,
    });
    // Terraform names it (no name): a change that replaces it then creates the new one before the listener moves.
    this.targetGroup = new LbTargetGroup(this, "targets", {
      targetType: "ip",
      protocol: "HTTP",
      port: SERVER_DEFAULTS.port,
      vpcId: props.vpcId,
      deregistrationDelay: String(props.deregistrationDelaySeconds),
      healthCheck: {
        enabled: true,
        protocol: "HTTP",
        path: HEALTH_CHECK_PATH,
        matcher: "200",
        interval: props.healthCheck.intervalSeconds,
        timeout: props.healthCheck.timeoutSeconds,
        healthyThreshold: props.healthCheck.healthyThreshold,
        unhealthyThreshold: props.healthCheck.unhealthyThreshold,
      },
      lifecycle: { createBeforeDestroy: true },
    });
    const forward = [{ type: "forward", targetGroupArn: this.targetGroup.arn }];

    if (props.certificateArn) {
      this.forwardingListener = new LbListener(this, "https", {
        loadBalancerArn: this.alb.arn,
        port: HTTPS_PORT,
        protocol: "HTTPS",
        certificateArn: props.certificateArn,
        sslPolicy: props.sslPolicy,
        defaultAction: forward,
      });
      new LbListener(this, "http-redirect", {
        loadBalancerArn: this.alb.arn,
        port: HTTP_PORT,
        protocol: "HTTP",
        defaultAction: [{ type: "redirect", redirect: { port: String(HTTPS_PORT), protocol: "HTTPS", statusCode: "HTTP_301" } }],
      });
      this.url = `https://${this.alb.dnsName}`;
    } else {
      this.forwardingListener = new LbListener(this, "http", {
        loadBalancerArn: this.alb.arn,
        port: HTTP_PORT,
        protocol: "HTTP",
        defaultAction: forward,
      });
      this.url = `http://${this.alb.dnsName}`;
    }
  }
}
