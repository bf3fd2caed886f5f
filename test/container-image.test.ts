import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { debianMirror, defaultDebianMirror, rootfsRef } from "../scripts/shared/container/debian-rootfs.js";
import { caSecretArgs, pickExtraCaFile } from "../scripts/shared/container/extra-ca.js";
import { defaultLocalTag, localImageBuildArgs } from "../scripts/shared/container/local-image.js";
import { podmanArgs, withEmptyDefaultUlimits } from "../scripts/shared/container/podman.js";
import { standInBuildArgs, standInDir, standInFiles, standInHash, standInRef, standInVersions } from "../scripts/shared/container/stand-in-base.js";
import { parseLocalArgs } from "../scripts/tools/image/local-args.js";

describe("podman", () => {
  it("always runs with runc", () => {
    expect(podmanArgs(["build", "."])).toEqual(["--runtime", "runc", "build", "."]);
  });

  it("containers.conf: writes default_ulimits = [] into [containers], once", () => {
    expect(withEmptyDefaultUlimits("")).toBe("[containers]\ndefault_ulimits = []\n");
    const withOtherTable = withEmptyDefaultUlimits('[engine]\nevents_logger = "file"\n')!;
    expect(withOtherTable).toBe('[engine]\nevents_logger = "file"\n\n[containers]\ndefault_ulimits = []\n');
    const intoExisting = withEmptyDefaultUlimits('[containers]\nlog_driver = "k8s-file"\n\n[engine]\n')!;
    expect(intoExisting).toBe('[containers]\ndefault_ulimits = []\nlog_driver = "k8s-file"\n\n[engine]\n');
    expect(withEmptyDefaultUlimits(intoExisting)).toBeNull();
    expect(withEmptyDefaultUlimits('[containers]\ndefault_ulimits = ["nofile=1024:1024"]\n')).toBeNull();
    // A default_ulimits of another table does not count.
    expect(withEmptyDefaultUlimits("[engine]\ndefault_ulimits = []\n")).toContain("[containers]\ndefault_ulimits = []");
  });
});

describe("extra CA for container builds", () => {
  const exists = (files: string[]) => (path: string) => files.includes(path);

  it("takes NODE_EXTRA_CA_CERTS, then SSL_CERT_FILE, then npm's cafile, only when the file exists", () => {
    expect(pickExtraCaFile({ NODE_EXTRA_CA_CERTS: "/a.pem", SSL_CERT_FILE: "/b.pem" }, "/c.pem", exists(["/a.pem", "/b.pem", "/c.pem"]))).toBe("/a.pem");
    expect(pickExtraCaFile({ NODE_EXTRA_CA_CERTS: "/gone.pem", SSL_CERT_FILE: "/b.pem" }, undefined, exists(["/b.pem"]))).toBe("/b.pem");
    expect(pickExtraCaFile({}, "/c.pem", exists(["/c.pem"]))).toBe("/c.pem");
    expect(pickExtraCaFile({}, "null", exists(["null"]))).toBeUndefined();
    expect(pickExtraCaFile({}, undefined, exists([]))).toBeUndefined();
  });

  it("is handed to the build as the secret ca, or not at all", () => {
    expect(caSecretArgs("/etc/ssl/extra.pem")).toEqual(["--secret", "id=ca,src=/etc/ssl/extra.pem"]);
    expect(caSecretArgs(undefined)).toEqual([]);
  });
});

describe("Debian mirror", () => {
  it("reads the bookworm archive from deb822 and one-line sources, skipping security and disabled entries", () => {
    const deb822 = [
      "Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main",
      "Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm bookworm-updates\nComponents: main",
    ].join("\n\n");
    expect(debianMirror([deb822])).toBe("http://mirror.example/debian");
    expect(debianMirror(["Types: deb\nEnabled: no\nURIs: http://off.example/debian\nSuites: bookworm\n"])).toBe(defaultDebianMirror);
    expect(debianMirror(["# comment\ndeb [arch=amd64] http://one.example/debian bookworm main\n"])).toBe("http://one.example/debian");
    expect(debianMirror(["deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n"])).toBe(defaultDebianMirror);
    expect(debianMirror([])).toBe(defaultDebianMirror);
  });

  it("names the rootfs image by suite and architecture", () => {
    expect(rootfsRef("arm64")).toBe("localhost/lambda-standin-rootfs:bookworm-minbase-arm64");
  });
});

describe("stand-in base image", () => {
  const files = { Containerfile: "FROM x", "lambda-entrypoint.sh": "#!/bin/sh" };

  it("is tagged by a hash of every input, per architecture", async () => {
    const hash = standInHash(files, "x64");
    expect(hash).toMatch(/^[0-9a-f]{12}$/);
    expect(standInHash({ ...files }, "x64")).toBe(hash);
    expect(standInHash({ ...files, Containerfile: "FROM y" }, "x64")).not.toBe(hash);
    expect(standInHash({ ...files, bootstrap: "" }, "x64")).not.toBe(hash);
    expect(standInHash(files, "arm64")).not.toBe(hash);
    expect(standInRef("x64", hash)).toBe(`localhost/lambda-nodejs-standin:22-x64-${hash}`);
    // Every file of the build context is an input.
    for (const name of standInFiles) await expect(readFile(`${standInDir}${name}`, "utf8")).resolves.not.toBe("");
  });

  it("passes the pinned Node, npm and aws-lambda-ric versions, and declares each as an ARG", async () => {
    const args = standInBuildArgs("arm64");
    expect(args).toMatchObject({ NODE_ARCH: "arm64", NODE_VERSION: standInVersions.node, RIC_VERSION: "4.0.2" });
    expect(args.NODE_INTEGRITY).toBe(standInVersions.nodeIntegrity.arm64);
    const containerfile = await readFile(`${standInDir}Containerfile`, "utf8");
    for (const name of [...Object.keys(args), "ROOTFS"]) expect(containerfile).toMatch(new RegExp(`^ARG ${name}\\b`, "m"));
    expect(containerfile).toMatch(/^ENTRYPOINT \["\/lambda-entrypoint\.sh"\]$/m);
    expect(containerfile).toMatch(/^WORKDIR \/var\/task$/m);
  });
});

describe("local image build", () => {
  it("builds the Dockerfile on the stand-in for the target platform, with the CA secret when there is one", () => {
    const args = localImageBuildArgs({ arch: "arm64", base: "localhost/base:1", tag: defaultLocalTag("arm64"), caFile: "/ca.pem" });
    expect(args.slice(0, 3)).toEqual(["build", "--platform", "linux/arm64"]);
    expect(args).toContain("BASE_IMAGE=localhost/base:1");
    expect(args.join(" ")).toContain("--secret id=ca,src=/ca.pem");
    expect(args.join(" ")).toContain("--tag localhost/image-classifier:local-arm64");
    expect(localImageBuildArgs({ arch: "x64", base: "b", tag: "t", caFile: undefined }).join(" ")).not.toContain("--secret");
  });

  it("npm run image:build -- --local takes --arch and --tag", () => {
    expect(parseLocalArgs(["--local"])).toEqual({ arch: "x64", tag: undefined });
    expect(parseLocalArgs(["--local", "--arch", "aarch64", "--tag", "localhost/x:1"])).toEqual({ arch: "arm64", tag: "localhost/x:1" });
    expect(() => parseLocalArgs(["--local", "--arch", "s390x"])).toThrow(/x64 or arm64/);
    expect(() => parseLocalArgs(["--local", "--push"])).toThrow();
  });
});
