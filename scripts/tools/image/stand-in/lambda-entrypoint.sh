#!/bin/sh
# The Lambda base image's entrypoint contract: the image's CMD (one argument) is the handler, exported as _HANDLER,
# then the runtime bootstrap runs against $AWS_LAMBDA_RUNTIME_API.
if [ $# -ne 1 ]; then
  echo "entrypoint requires the handler name to be the first argument" 1>&2
  exit 142
fi
export _HANDLER="$1"

RUNTIME_ENTRYPOINT=/var/runtime/bootstrap
if [ -z "${AWS_LAMBDA_RUNTIME_API}" ]; then
  # The real image starts the Runtime Interface Emulator (aws-lambda-rie) here; the stand-in does not ship it.
  echo "AWS_LAMBDA_RUNTIME_API is not set: this stand-in has no Runtime Interface Emulator; run it behind a Runtime API (npm start -- --image)" 1>&2
  exit 1
fi
exec "$RUNTIME_ENTRYPOINT"
