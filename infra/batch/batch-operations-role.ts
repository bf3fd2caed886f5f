import type { Construct } from "constructs";
import { ServiceRole } from "../constructs/service-role.js";
import { bucketStatements, objectStatements, type OwnedS3Input } from "./s3-grants.js";

export interface BatchOperationsPolicyProps {
  /** The batch alias: the only function a job may invoke. */
  readonly functionAliasArn: string;
  /** Where job manifests may be read from. */
  readonly manifests: readonly OwnedS3Input[];
  /** Where completion reports go (the results folder). */
  readonly reports: OwnedS3Input;
}

/**
 * An S3 Batch Operations job that invokes Lambda reads its manifest, invokes the function once per task and writes a
 * completion report; it never reads the objects itself (the function does, with its own role).
 */
export function batchOperationsPolicyStatements(props: BatchOperationsPolicyProps) {
  return [
    { Sid: "InvokeBatchAlias", Effect: "Allow", Action: ["lambda:InvokeFunction"], Resource: props.functionAliasArn },
    ...objectStatements("ReadManifests", ["s3:GetObject", "s3:GetObjectVersion"], props.manifests),
    ...objectStatements("WriteReports", ["s3:PutObject"], [props.reports]),
    // AWS's documented job policy also lets the job find the manifest's and the report's regions.
    ...bucketStatements("LocateBuckets", ["s3:GetBucketLocation"], [...props.manifests, props.reports]),
  ];
}

export interface BatchOperationsRoleProps extends BatchOperationsPolicyProps {
  readonly roleName: string;
  /** Account the jobs run in (aws:SourceAccount in the trust policy). */
  readonly account: string;
}

/** The role an S3 Batch Operations job created by `npm run batch -- --target s3-batch-operations` runs as. */
export class BatchOperationsRole extends ServiceRole {
  constructor(scope: Construct, id: string, props: BatchOperationsRoleProps) {
    super(scope, id, {
      roleName: props.roleName,
      servicePrincipal: "batchoperations.s3.amazonaws.com",
      account: props.account,
      policyName: "batch-operations-invoke",
      statements: batchOperationsPolicyStatements(props),
    });
  }
}
