import { open, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { elfMachine, type LambdaArch } from "./target-platform.js";

export interface NativeBinary {
  /** Relative to the scanned folder. */
  path: string;
  /** Architecture read from the ELF header, or undefined when the file is not a 64-bit ELF for x64/arm64. */
  arch: LambdaArch | undefined;
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
    found.push({ path: relative(dir, file), arch: await readArch(file) });
  }
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

/** Throws unless every native binary under `dir` is a Linux ELF for `arch`. */
export async function assertNativeBinariesFor(dir: string, arch: LambdaArch): Promise<NativeBinary[]> {
  const binaries = await listNativeBinaries(dir);
  const wrong = binaries.filter((binary) => binary.arch !== arch);
  if (wrong.length > 0) {
    throw new Error(`native binaries not built for linux-${arch}: ${wrong.map((b) => `${b.path} (${b.arch ?? "?"})`).join(", ")}`);
  }
  return binaries;
}
