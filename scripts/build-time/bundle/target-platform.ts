/** The Lambda platform a build targets: Amazon Linux 2023 (glibc) on x86_64 or arm64 (Graviton). */
export type LambdaArch = "x64" | "arm64";

export interface TargetPlatform {
  os: "linux";
  cpu: LambdaArch;
  libc: "glibc";
}

/** Accepts Node's names (x64, arm64) and Docker's/uname's (amd64, x86_64, aarch64). */
export function parseArch(value: string): LambdaArch {
  const normalised = value.trim().toLowerCase();
  if (normalised === "x64" || normalised === "amd64" || normalised === "x86_64") return "x64";
  if (normalised === "arm64" || normalised === "aarch64") return "arm64";
  throw new Error(`unsupported --arch "${value}": expected x64 (amd64) or arm64`);
}

export function targetPlatform(arch: LambdaArch): TargetPlatform {
  return { os: "linux", cpu: arch, libc: "glibc" };
}

interface PlatformFields {
  os?: string[];
  cpu?: string[];
  libc?: string[];
}

/** npm's rule for the `os`/`cpu`/`libc` fields: an allow list, or a deny list of `!value` entries. */
function allows(list: string[] | undefined, value: string): boolean {
  if (!list || list.length === 0) return true;
  if (list.includes(`!${value}`)) return false;
  const allowList = list.filter((entry) => !entry.startsWith("!"));
  return allowList.length === 0 || allowList.includes(value);
}

/** Would npm install a package with these `os`/`cpu`/`libc` fields on the target? */
export function packageSupports(fields: PlatformFields, target: TargetPlatform): boolean {
  return allows(fields.os, target.os) && allows(fields.cpu, target.cpu) && allows(fields.libc, target.libc);
}

/** ELF `e_machine` values of the target's native code (.node add-ons and shared libraries). */
export const elfMachine: Record<LambdaArch, number> = { x64: 0x3e, arm64: 0xb7 };
