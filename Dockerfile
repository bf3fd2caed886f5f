# The Lambda function image. Build with npm run image (scripts/tools/image/main.sh: docker buildx, --provenance=false),
# or locally with podman on a stand-in base image: npm run image:build -- --local (README, "Container image").
#
# Stage "build" runs on the same AWS Lambda base image as the function, so `npm ci` installs the native
# modules (onnxruntime-node, sharp) for Amazon Linux 2023's glibc and the target architecture. The context is
# .dockerignore's allowlist: the npm and TypeScript files, handler/, scripts/build-time/ and the model manifest and
# labels; host node_modules, the developer tools, tests and infra never enter it. Its hash is the image tag.

# Base of both stages. The stack passes the stage's image.baseImage, ideally pinned by digest
# (public.ecr.aws/lambda/nodejs:22@sha256:…), so that a patched base image is a new, deliberate build.
ARG BASE_IMAGE=public.ecr.aws/lambda/nodejs:22

FROM ${BASE_IMAGE} AS build
# Set by buildx from --platform (amd64 | arm64).
ARG TARGETARCH
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
# No install scripts: the native packages ship prebuilt binaries, and .npmrc skips onnxruntime-node's CUDA download.
# Behind a TLS-inspecting proxy, pass its CA as the build secret "ca" (--secret id=ca,src=FILE): it is trusted for
# this step only and never stored in a layer. npm's download cache persists across builds (a lockfile change
# fetches only what changed).
RUN --mount=type=secret,id=ca,required=false --mount=type=cache,target=/root/.npm,sharing=locked \
    if [ -f /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY handler/ handler/
# scripts/build-time/ imports only handler/ and itself (test/layout.test.ts), so the build runs from these alone.
COPY scripts/build-time/ scripts/build-time/
COPY model/ model/
# prebuild (model:ensure) converts the default model from the nsfwjs package installed above.
RUN npm run build -- --arch "${TARGETARCH:-amd64}"

FROM ${BASE_IMAGE}
# No ORT_INTRA_OP_THREADS here: the stack sets it for the function's memory size (Lambda scales vCPUs with memory,
# 1 at 1769 MB, 6 at 10240 MB) and for the Fargate task's workers; unset, the handler uses the CPUs it sees and
# server.mjs splits them between its workers.
ENV POWERTOOLS_SERVICE_NAME=image-classifier \
    POWERTOOLS_METRICS_NAMESPACE=ImageClassifier \
    POWERTOOLS_LOG_LEVEL=INFO
COPY --from=build /src/build/lambda/ ${LAMBDA_TASK_ROOT}/
CMD ["index.handler"]
