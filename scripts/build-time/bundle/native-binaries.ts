import { open, readFile, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { elfMachine, type LambdaArch } from "./target-platform.js";

export interface NativeBinary {
  /** Relative to the scanned folder. */
  path: string;
  /** Architecture read from the ELF header, or undefined when the file is not a 64-bit ELF for x64/arm64. */
  arch: LambdaArch | undefined;
  /** Highest `GLIBC_x.y` symbol version the file asks for, e.g. "2.28"; undefined when it names none. */
  glibc: string | undefined;
}

/** glibc of Amazon Linux 2023, the OS of the nodejs22.x runtime and of public.ecr.aws/lambda/nodejs:22. */
export const lambdaGlibc = "2.34";

const compareVersions = (a: string, b: string): number => {
  const [pa, pb] = [a.split(".").map(Number), b.split(".").map(Number)];
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const difference = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
};

/** The version-needed names (`GLIBC_2.28`) sit in the dynamic string table; scanning the bytes finds them. */
async function requiredGlibc(file: string): Promise<string | undefined> {
  const text = (await readFile(file)).toString("latin1");
  let highest: string | undefined;
  for (const match of text.matchAll(/GLIBC_(\d+\.\d+(?:\.\d+)?)/g)) {
    if (!highest || compareVersions(match[1]!, highest) > 0) highest = match[1]!;
  }
  return highest;
}

const nativeName = /\.node$|\.so(\.\d+)*$|\.dylib$|\.dll$/;

async function readArch(file: string): Promise<LambdaArch | undefined> {
  const handle = await open(file, "r");
  try {
    const header = Buffer.alloc(20);
    await handle.read(header, 0, 20, 0);
    const isElf64LittleEndian = header.readUInt32BE(0) === 0x7f454c46 && header[4] === 2 && header[5] === 1;
    if (!isElf64LittleEndian) return undefined;
    const machine = header.readUInt16LE(18);
    return (Object.keys(elfMachine) as LambdaArch[]).find((arch) => elfMachine[arch] === machine);
  } finally {
    await handle.close();
  }
}

/** Every native add-on and shared library under `dir`, with the CPU architecture it was compiled for. */
export async function listNativeBinaries(dir: string): Promise<NativeBinary[]> {
  const found: NativeBinary[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !nativeName.test(entry.name)) continue;
    const file = join(entry.parentPath, entry.name);
    found.push({ path: relative(dir, file), arch: await readArch(file), glibc: await requiredGlibc(file) });
  }
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

/** Throws unless every native binary under `dir` is a Linux ELF for `arch` that Amazon Linux 2023's glibc can load. */
export async function assertNativeBinariesFor(dir: string, arch: LambdaArch): Promise<NativeBinary[]> {
  const binaries = await listNativeBinaries(dir);
  const wrong = binaries.filter((binary) => binary.arch !== arch);
  if (wrong.length > 0) {
    throw new Error(`native binaries not built for linux-${arch}: ${wrong.map((b) => `${b.path} (${b.arch ?? "?"})`).join(", ")}`);
  }
  const tooNew = binaries.filter((binary) => binary.glibc && compareVersions(binary.glibc, lambdaGlibc) > 0);
  if (tooNew.length > 0) {
    throw new Error(`native binaries need a newer glibc than Lambda's ${lambdaGlibc}: ${tooNew.map((b) => `${b.path} (${b.glibc})`).join(", ")}`);
  }
  return binaries;
}
