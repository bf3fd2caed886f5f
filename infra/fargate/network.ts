import { DataAwsSubnets } from "@cdktf/provider-aws/lib/data-aws-subnets/index.js";
import { DataAwsVpc } from "@cdktf/provider-aws/lib/data-aws-vpc/index.js";
import { Construct } from "constructs";

export interface NetworkProps {
  /** With `subnetIds`: run there. Without: the region's default VPC. */
  readonly vpcId?: string;
  readonly subnetIds?: readonly string[];
  /** Default: subnetIds. */
  readonly loadBalancerSubnetIds?: readonly string[];
}

/** Where the service runs: the configured VPC and subnets, or the default VPC and its default subnet in each zone. */
export class Network extends Construct {
  readonly vpcId: string;
  readonly taskSubnetIds: string[];
  readonly loadBalancerSubnetIds: string[];
  readonly isDefaultVpc: boolean;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    this.isDefaultVpc = props.vpcId === undefined || props.subnetIds === undefined;
    if (!this.isDefaultVpc) {
      this.vpcId = props.vpcId!;
      this.taskSubnetIds = [...props.subnetIds!];
      this.loadBalancerSubnetIds = [...(props.loadBalancerSubnetIds ?? props.subnetIds!)];
      return;
    }
    const vpc = new DataAwsVpc(this, "default-vpc", { default: true });
    const subnets = new DataAwsSubnets(this, "default-subnets", {
      filter: [
        { name: "vpc-id", values: [vpc.id] },
        { name: "default-for-az", values: ["true"] },
      ],
    });
    this.vpcId = vpc.id;
    this.taskSubnetIds = subnets.ids;
    this.loadBalancerSubnetIds = subnets.ids;
  }
}
