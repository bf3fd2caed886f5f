import { S3ControlClient } from "@aws-sdk/client-s3-control";
import { SFNClient } from "@aws-sdk/client-sfn";

type Env = Record<string, string | undefined>;

export function createSfnClient(region: string | undefined): SFNClient {
  return new SFNClient({ ...(region && { region }) });
}

/** The S3 Control endpoint set in the environment (AWS_ENDPOINT_URL_S3_CONTROL, AWS_ENDPOINT_URL), if any. */
function customS3ControlEndpoint(env: Env): string | undefined {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === "true") return undefined;
  return env.AWS_ENDPOINT_URL_S3_CONTROL || env.AWS_ENDPOINT_URL || undefined;
}

/**
 * S3 Control puts the account id in front of the host name (`<account>.s3-control.<region>.amazonaws.com`). A custom
 * endpoint (a local test endpoint, an S3-compatible server) is used as it is: `<account>.127.0.0.1` resolves nowhere.
 */
export function createS3ControlClient(region: string | undefined, env: Env = process.env): S3ControlClient {
  const endpoint = customS3ControlEndpoint(env);
  return new S3ControlClient({
    ...(region && { region }),
    ...(endpoint && { endpointProvider: () => ({ url: new URL(endpoint) }) }),
  });
}
