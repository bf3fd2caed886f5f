import type { Context } from "aws-lambda";
import { SERVICE_NAME } from "../../../handler/settings.js";

export interface FunctionSettings {
  functionName: string;
  functionVersion: string;
  memorySizeMB: number;
  region: string;
  logGroupName: string;
  logStreamName: string;
}

/** Reads the function's settings from the environment variables Lambda sets in every execution environment. */
export function functionSettingsFromEnv(env: NodeJS.ProcessEnv): FunctionSettings {
  const functionName = env.AWS_LAMBDA_FUNCTION_NAME ?? SERVICE_NAME;
  return {
    functionName,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION ?? "$LATEST",
    memorySizeMB: Number(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? 2048),
    region: env.AWS_REGION ?? "us-east-1",
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME ?? `/aws/lambda/${functionName}`,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME ?? "local",
  };
}

/** The Context object the Lambda Node.js runtime passes to a handler, for one invocation. */
export function createLambdaContext(settings: FunctionSettings, requestId: string, deadlineMs: number): Context {
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is not supported: return a value or a promise from the handler`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: settings.functionName,
    functionVersion: settings.functionVersion,
    invokedFunctionArn: `arn:aws:lambda:${settings.region}:000000000000:function:${settings.functionName}`,
    memoryLimitInMB: String(settings.memorySizeMB),
    awsRequestId: requestId,
    logGroupName: settings.logGroupName,
    logStreamName: settings.logStreamName,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
    done: unsupported("done"),
    fail: unsupported("fail"),
    succeed: unsupported("succeed"),
  };
}
