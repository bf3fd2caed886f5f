import { DataAwsEcrAuthorizationToken } from "@cdktf/provider-aws/lib/data-aws-ecr-authorization-token/index.js";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy/index.js";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository/index.js";
import { Image } from "@cdktf/provider-docker/lib/image/index.js";
import { DockerProvider } from "@cdktf/provider-docker/lib/provider/index.js";
import { RegistryImage } from "@cdktf/provider-docker/lib/registry-image/index.js";
import { createHash } from "node:crypto";
import { Fn } from "cdktf";
import { Construct } from "constructs";

export type Architecture = "x86_64" | "arm64";

/** Lambda architecture → Docker platform and the TARGETARCH build argument. */
export const DOCKER_ARCH: Record<Architecture, { platform: string; targetArch: string }> = {
  x86_64: { platform: "linux/amd64", targetArch: "amd64" },
  arm64: { platform: "linux/arm64", targetArch: "arm64" },
};

export interface ContainerImageProps {
  repositoryName: string;
  keepLastImages: number;
  forceDelete: boolean;
  architecture: Architecture;
  /** BASE_IMAGE build argument: the base of both Dockerfile stages, by tag or by digest. */
  baseImage: string;
  /** Absolute path of the folder holding the Dockerfile. */
  buildContext: string;
  /** Content hash of the Docker build context. */
  contentHash: string;
}

/**
 * sha256 of everything a build depends on: the context, the build arguments (base image included) and the platform.
 * It is the image tag and the rebuild trigger, so moving the base-image pin rebuilds and redeploys, and a tag is
 * never pushed twice for different content (ECR tags are immutable).
 */
export function imageInputsHash(contentHash: string, buildArgs: Record<string, string>, platform: string): string {
  const sortedArgs = Object.fromEntries(Object.entries(buildArgs).sort(([a], [b]) => a.localeCompare(b)));
  return createHash("sha256").update(JSON.stringify({ contentHash, buildArgs: sortedArgs, platform })).digest("hex");
}

/** ECR repository plus an image built from this repository's Dockerfile and pushed by the docker provider. */
export class ContainerImage extends Construct {
  readonly repository: EcrRepository;
  /** `repository@sha256:…` of the pushed image, known after apply. */
  readonly imageUri: string;
  readonly digest: string;
  readonly tag: string;
  /** Hash of every build input (see imageInputsHash). */
  readonly inputsHash: string;

  constructor(scope: Construct, id: string, props: ContainerImageProps) {
    super(scope, id);
    const { platform, targetArch } = DOCKER_ARCH[props.architecture];
    const buildArgs = { BASE_IMAGE: props.baseImage, TARGETARCH: targetArch };
    this.inputsHash = imageInputsHash(props.contentHash, buildArgs, platform);
    this.tag = `src-${this.inputsHash.slice(0, 32)}`;

    this.repository = new EcrRepository(this, "repository", {
      name: props.repositoryName,
      imageTagMutability: "IMMUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      forceDelete: props.forceDelete,
    });

    new EcrLifecyclePolicy(this, "lifecycle", {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            // Never tagged images: a published function version may still run any pushed (tagged) image, and a
            // rollback to it would fail once the image is gone. Untagged ones are leftovers no version references.
            description: `Expire untagged images beyond the last ${props.keepLastImages}`,
            selection: { tagStatus: "untagged", countType: "imageCountMoreThan", countNumber: props.keepLastImages },
            action: { type: "expire" },
          },
        ],
      }),
    });

    // No registry_id (defaults to the account's registry): depending on the repository would leave the docker
    // provider's configuration unknown until apply on the first run.
    const token = new DataAwsEcrAuthorizationToken(this, "auth", {});
    new DockerProvider(this, "docker", {
      registryAuth: [
        {
          address: Fn.replace(token.proxyEndpoint, "https://", ""),
          username: token.userName,
          password: token.password,
        },
      ],
    });

    // No `builder`: the provider then builds through the engine API, which attaches no provenance or SBOM
    // attestations (provider 3.6.2 has no provenance switch), so ECR receives a single-platform manifest Lambda accepts.
    const image = new Image(this, "image", {
      name: `${this.repository.repositoryUrl}:${this.tag}`,
      buildAttribute: {
        context: props.buildContext,
        dockerfile: "Dockerfile",
        platform,
        buildArgs,
        label: { "org.opencontainers.image.revision": props.contentHash, "org.opencontainers.image.base.name": props.baseImage },
      },
      triggers: { buildInputsSha256: this.inputsHash },
      keepLocally: false,
    });

    // Old images stay in ECR: published versions may still point at them (see infra/README.md, "Old images").
    const pushed = new RegistryImage(this, "pushed", {
      name: image.name,
      keepRemotely: true,
      triggers: { buildInputsSha256: this.inputsHash },
    });

    this.digest = pushed.sha256Digest;
    this.imageUri = `${this.repository.repositoryUrl}@${pushed.sha256Digest}`;
  }
}
