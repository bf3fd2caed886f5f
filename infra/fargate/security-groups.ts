import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group/index.js";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js";
import { Construct } from "constructs";
import { SERVER_DEFAULTS } from "../../handler/server/settings.js";

export const HTTP_PORT = 80;
export const HTTPS_PORT = 443;

export interface SecurityGroupsProps {
  readonly namePrefix: string;
  readonly vpcId: string;
  /** The load balancer's only ingress. */
  readonly allowedCidrs: readonly string[];
  /** Listener ports of the load balancer: 80, and 443 with HTTPS. */
  readonly listenerPorts: readonly number[];
}

/**
 * The load balancer takes the listener ports from the allowed CIDRs and talks only to the tasks' port; the tasks take
 * that port from the load balancer only and reach out on 443 only (ECR, S3, CloudWatch Logs). Terraform removes the
 * allow-all egress rule AWS adds to a new group, so these rules are all there is.
 */
export class SecurityGroups extends Construct {
  readonly loadBalancer: SecurityGroup;
  readonly tasks: SecurityGroup;

  constructor(scope: Construct, id: string, props: SecurityGroupsProps) {
    super(scope, id);
    const port = SERVER_DEFAULTS.port;
    this.loadBalancer = new SecurityGroup(this, "load-balancer", {
      name: `${props.namePrefix}-alb`,
      description: "Load balancer of the classifier service: listeners from the allowed CIDRs",
      vpcId: props.vpcId,
    });
    this.tasks = new SecurityGroup(this, "tasks", {
      name: `${props.namePrefix}-tasks`,
      description: "Classifier tasks: the server port from the load balancer only",
      vpcId: props.vpcId,
    });

    props.listenerPorts.forEach((listenerPort) =>
      props.allowedCidrs.forEach((cidr, index) => {
        new VpcSecurityGroupIngressRule(this, `load-balancer-in-${listenerPort}-${index}`, {
          securityGroupId: this.loadBalancer.id,
          description: `Listener ${listenerPort} from ${cidr}`,
          ipProtocol: "tcp",
          fromPort: listenerPort,
          toPort: listenerPort,
          cidrIpv4: cidr,
        });
      }),
    );
    new VpcSecurityGroupEgressRule(this, "load-balancer-to-tasks", {
      securityGroupId: this.loadBalancer.id,
      description: "Requests and health checks to the tasks",
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: this.tasks.id,
    });
    new VpcSecurityGroupIngressRule(this, "tasks-from-load-balancer", {
      securityGroupId: this.tasks.id,
      description: "Requests and health checks from the load balancer",
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: this.loadBalancer.id,
    });
    new VpcSecurityGroupEgressRule(this, "tasks-https-out", {
      securityGroupId: this.tasks.id,
      description: "HTTPS to ECR, S3 and CloudWatch Logs",
      ipProtocol: "tcp",
      fromPort: HTTPS_PORT,
      toPort: HTTPS_PORT,
      cidrIpv4: "0.0.0.0/0",
    });
  }
}
