import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { promisify } from "node:util";

const execFileAsync = promisify(execFile);

/**
 * The file of extra CA certificates this machine trusts for TLS, for a container build's `--secret id=ca`:
 * NODE_EXTRA_CA_CERTS, then SSL_CERT_FILE, then npm's `cafile` (given as `npmCafile`). Undefined when none names an
 * existing file; the build then talks TLS with the image's own CA bundle.
 */
export function pickExtraCaFile(env: NodeJS.ProcessEnv, npmCafile: string | undefined, exists: (path: string) => boolean = existsSync): string | undefined {
  const candidates = [env.NODE_EXTRA_CA_CERTS, env.SSL_CERT_FILE, npmCafile];
  return candidates.map((value) => value?.trim()).find((value): value is string => !!value && value !== "null" && value !== "undefined" && exists(value));
}

/** npm's configured cafile, or undefined when npm is missing or has none. */
export async function npmCafile(): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync("npm", ["config", "get", "cafile"], { env: { ...process.env, npm_config_loglevel: "silent" } });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function findExtraCaFile(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  return pickExtraCaFile(env, env.NODE_EXTRA_CA_CERTS || env.SSL_CERT_FILE ? undefined : await npmCafile());
}

/** podman build flags that hand the CA file to RUN --mount=type=secret,id=ca steps; empty without one. */
export function caSecretArgs(caFile: string | undefined): string[] {
  return caFile ? ["--secret", `id=ca,src=${caFile}`] : [];
}
