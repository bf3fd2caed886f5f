/** Lambda's synchronous invocation limits, as a function URL enforces them. */
export const lambdaLimits = {
  /** The invoke request payload (the serialised event), in bytes: 6 MiB. */
  requestPayloadBytes: 6_291_456,
  /** The invoke response payload (the serialised result), in bytes, as Lambda's error message states it. */
  responsePayloadBytes: 6_291_556,
} as const;
