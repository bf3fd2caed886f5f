#!/usr/bin/env bash
# Builds the Lambda container image for one architecture.
#   scripts/tools/image/main.sh TAG [x64|arm64] [extra docker buildx build flags...]
#   scripts/tools/image/main.sh image-classifier:dev
#   scripts/tools/image/main.sh 123456789012.dkr.ecr.eu-west-1.amazonaws.com/image-classifier:v1 arm64 --push
# Without --push the image is loaded into the local engine (--load).
set -euo pipefail

if [[ $# -lt 1 || "$1" == -* ]]; then
  echo "usage: $0 TAG [x64|arm64] [extra docker buildx build flags...]" >&2
  exit 2
fi
tag="$1"; shift
arch="x64"
if [[ $# -gt 0 && "$1" != -* ]]; then arch="$1"; shift; fi

case "$arch" in
  x64 | amd64 | x86_64) platform="linux/amd64" ;;
  arm64 | aarch64) platform="linux/arm64" ;;
  *) echo "unsupported architecture: $arch (expected x64 or arm64)" >&2; exit 2 ;;
esac

output="--load"
for flag in "$@"; do
  [[ "$flag" == "--push" || "$flag" == --output* || "$flag" == "-o" ]] && output=""
done

cd "$(dirname "$0")/../../.."
# --provenance=false: Lambda rejects image indexes that carry attestation manifests; the result is a plain
# single-platform image manifest.
exec docker buildx build \
  --platform "$platform" \
  --provenance=false \
  --tag "$tag" \
  --file Dockerfile \
  ${output:+"$output"} \
  "$@" \
  .
