import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic/index.js";
import { Construct } from "constructs";

export interface FunctionAlarmsProps {
  functionName: string;
  aliasName: string;
  timeoutSeconds: number;
  /** p99 Duration alarms above this fraction of the timeout. */
  durationP99Ratio: number;
  periodSeconds: number;
  evaluationPeriods: number;
  /** Whether provisioned concurrency can be configured (the spillover metric only exists then). */
  provisionedConcurrency: boolean;
  snsTopicArn?: string;
  createSnsTopic: boolean;
}

/** Errors, throttles, p99 duration against the timeout, and provisioned-concurrency spillover on the alias. */
export class FunctionAlarms extends Construct {
  readonly topicArn: string | undefined;
  readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: FunctionAlarmsProps) {
    super(scope, id);
    this.topicArn = props.createSnsTopic ? new SnsTopic(this, "topic", { name: `${props.functionName}-alarms` }).arn : props.snsTopicArn;
    const actions = this.topicArn ? [this.topicArn] : [];
    const functionDimension = { FunctionName: props.functionName };

    const alarm = (
      name: string,
      description: string,
      metric: { metricName: string; dimensions: Record<string, string>; threshold: number } & (
        | { statistic: string }
        | { extendedStatistic: string }
      ),
    ) => {
      this.alarms.push(
        new CloudwatchMetricAlarm(this, name, {
          alarmName: `${props.functionName}-${name}`,
          alarmDescription: description,
          namespace: "AWS/Lambda",
          comparisonOperator: "GreaterThanThreshold",
          period: props.periodSeconds,
          evaluationPeriods: props.evaluationPeriods,
          datapointsToAlarm: Math.min(props.evaluationPeriods, 3),
          treatMissingData: "notBreaching",
          alarmActions: actions,
          okActions: actions,
          ...metric,
        }),
      );
    };

    alarm("errors", "Invocations that ended in a function error", {
      metricName: "Errors",
      dimensions: functionDimension,
      statistic: "Sum",
      threshold: 0,
    });
    alarm("throttles", "Invocations throttled for lack of concurrency", {
      metricName: "Throttles",
      dimensions: functionDimension,
      statistic: "Sum",
      threshold: 0,
    });
    alarm("duration-p99", `p99 duration above ${Math.round(props.durationP99Ratio * 100)}% of the ${props.timeoutSeconds} s timeout`, {
      metricName: "Duration",
      dimensions: functionDimension,
      extendedStatistic: "p99",
      threshold: Math.round(props.timeoutSeconds * 1000 * props.durationP99Ratio),
    });
    if (props.provisionedConcurrency) {
      alarm("pc-spillover", "Invocations on the alias served by on-demand (cold) instances instead of provisioned ones", {
        metricName: "ProvisionedConcurrencySpilloverInvocations",
        dimensions: { FunctionName: props.functionName, Resource: `${props.functionName}:${props.aliasName}` },
        statistic: "Sum",
        threshold: 0,
      });
    }
  }
}
