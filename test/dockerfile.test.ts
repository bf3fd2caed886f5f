import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join, posix } from "node:path";
import { DockerfileParser, type Copy, type Instruction } from "dockerfile-ast";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerContextFiles } from "../infra/docker-context.js";
import { buildLambda, bundleFile, defaultOutDir, handlerExport, projectDir, type BuildLambdaResult } from "../scripts/build-time/bundle/build-lambda.js";
import { parseArch } from "../scripts/build-time/bundle/target-platform.js";

interface Stage {
  name: string | null;
  image: string;
  instructions: Instruction[];
}

/** Variables the Lambda base image defines (ENV), which the final stage may use. */
const baseImageVariables = new Set(["LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR"]);

async function parseDockerfile() {
  const dockerfile = DockerfileParser.parse(await readFile(join(projectDir, "Dockerfile"), "utf8"));
  const globalArgs = new Map<string, string>();
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property) globalArgs.set(property.getName(), property.getValue() ?? "");
  }
  const expand = (text: string) => text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string, b: string) => globalArgs.get(a ?? b) ?? "");

  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === "FROM") {
      const from = dockerfile.getFROMs().find((f) => f.getRange().start.line === instruction.getRange().start.line)!;
      stages.push({ name: from.getBuildStage(), image: expand(from.getImage() ?? ""), instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { stages, globalArgs };
}

const argumentValues = (instruction: Instruction) => instruction.getArguments().map((argument) => argument.getValue());

function copyParts(copy: Copy) {
  const values = argumentValues(copy).filter((value) => !value.startsWith("--"));
  return { from: copy.getFromFlag()?.getValue() ?? null, sources: values.slice(0, -1), destination: values.at(-1)! };
}

/** What Docker itself reads from the context; no COPY names them. */
const readByDockerItself = new Set(["Dockerfile", ".dockerignore"]);

const covers = (source: string, file: string) => {
  const clean = posix.normalize(source).replace(/\/$/, "");
  return file === clean || file.startsWith(`${clean}/`);
};

describe("Dockerfile", () => {
  let build: BuildLambdaResult;
  let outDir: string;

  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), "lambda-dockerfile-"));
    build = await buildLambda({ arch: "x64", outDir });
  });
  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it("builds and runs every stage on the AWS Lambda Node.js base image (BASE_IMAGE), Node 22 by default", async () => {
    const { stages, globalArgs } = await parseDockerfile();
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage.image).toMatch(/^public\.ecr\.aws\/lambda\/nodejs:\d+$/);
    expect(globalArgs.get("BASE_IMAGE")).toBe("public.ecr.aws/lambda/nodejs:22");
  });

  it("installs and builds inside the build stage for the target architecture", async () => {
    const { stages } = await parseDockerfile();
    const builder = stages[0]!;
    const runs = builder.instructions.filter((i) => i.getKeyword() === "RUN").map((i) => argumentValues(i).join(" "));
    const install = runs.findIndex((command) => /(^|[;&] *)npm ci\b/.test(command));
    const buildRun = runs.findIndex((command) => /^npm run build\b/.test(command) && command.includes("--arch"));
    expect(install).toBeGreaterThanOrEqual(0);
    expect(buildRun).toBeGreaterThan(install);
    expect(runs[buildRun]).toContain("TARGETARCH");
    // buildx's TARGETARCH values are accepted by the build script.
    expect(parseArch("amd64")).toBe("x64");
    expect(parseArch("arm64")).toBe("arm64");
  });

  it("npm ci trusts the optional build secret ca (a TLS-inspecting proxy's CA) for that step only, and keeps npm's cache", async () => {
    const { stages } = await parseDockerfile();
    const builder = stages[0]!;
    const install = builder.instructions.find((i) => i.getKeyword() === "RUN" && /\bnpm ci\b/.test(i.getTextContent()))!;
    const text = install.getTextContent();
    // Optional, so docker buildx and podman build without --secret still work.
    expect(text).toContain("--mount=type=secret,id=ca,required=false");
    expect(text).toMatch(/if \[ -f \/run\/secrets\/ca \]; then export NODE_EXTRA_CA_CERTS=\/run\/secrets\/ca; fi/);
    expect(text).toContain("--mount=type=cache,target=/root/.npm");
    // The CA is never copied or set for later steps.
    for (const instruction of builder.instructions.filter((i) => i !== install)) {
      expect(instruction.getTextContent()).not.toMatch(/secrets\/ca|NODE_EXTRA_CA_CERTS/);
    }
  });

  it("copies every source from the Docker context, and the context holds nothing the build does not copy; never node_modules", async () => {
    const { stages } = await parseDockerfile();
    const context = dockerContextFiles(projectDir);
    const contextSources = stages
      .flatMap((stage) => stage.instructions.filter((i): i is Copy => i.getKeyword() === "COPY" || i.getKeyword() === "ADD"))
      .map(copyParts)
      .filter((copy) => copy.from === null)
      .flatMap((copy) => copy.sources);
    expect(contextSources.length).toBeGreaterThan(0);
    for (const source of contextSources) {
      expect(existsSync(join(projectDir, source)), `${source} exists`).toBe(true);
      expect(context.some((file) => covers(source, file)), `${source} is in the Docker context`).toBe(true);
      expect(source).not.toMatch(/node_modules|^build\b/);
    }
    const unused = context.filter((file) => !readByDockerItself.has(file) && !contextSources.some((source) => covers(source, file)));
    expect(unused, "context files no COPY uses").toEqual([]);
    for (const excluded of ["node_modules", "build", ".git", "test", "scripts/tools", "scripts/shared", "infra", "model/model.onnx"]) {
      expect(context.filter((file) => covers(excluded, file) || file.includes("/node_modules/")), `${excluded} is excluded`).toEqual([]);
    }
    expect(context).toContain("model/model.json");
    expect(context).toContain("scripts/build-time/bundle/main.ts");
  });

  it("final stage: copies only the built task root into LAMBDA_TASK_ROOT and runs the handler the bundle exports", async () => {
    const { stages } = await parseDockerfile();
    const [builder, final] = [stages[0]!, stages.at(-1)!];
    const copies = final.instructions.filter((i): i is Copy => i.getKeyword() === "COPY" || i.getKeyword() === "ADD").map(copyParts);
    expect(copies).toHaveLength(1);
    const [copy] = copies;
    expect(copy!.from).toBe(builder.name);
    const workdir = builder.instructions.filter((i) => i.getKeyword() === "WORKDIR").map((i) => argumentValues(i)[0]!).at(-1)!;
    expect(copy!.sources.map((source) => posix.normalize(source).replace(/\/$/, ""))).toEqual([posix.join(workdir, defaultOutDir)]);
    expect(copy!.destination.replace(/\/$/, "")).toBe("${LAMBDA_TASK_ROOT}");

    const cmds = final.instructions.filter((i) => i.getKeyword() === "CMD");
    expect(cmds).toHaveLength(1);
    const command = (cmds[0] as unknown as { getJSONStrings(): { getJSONValue(): string }[] }).getJSONStrings().map((s) => s.getJSONValue());
    expect(command).toHaveLength(1);
    const [moduleName, exportName] = command[0]!.split(".");
    expect(`${moduleName}${extname(bundleFile)}`).toBe(bundleFile);
    expect(exportName).toBe(handlerExport);
    // The build produced that file, exporting that name.
    expect(existsSync(join(build.outDir, `${moduleName}.mjs`))).toBe(true);
    expect(build.exports).toContain(exportName);
  });

  it("final stage: no ARG, no secret mount, no build-time variable reaches the image", async () => {
    const { stages } = await parseDockerfile();
    const final = stages.at(-1)!;
    expect(final.instructions.filter((i) => i.getKeyword() === "ARG")).toEqual([]);
    expect(final.instructions.filter((i) => i.getKeyword() === "RUN")).toEqual([]);
    const ownEnv = new Set(
      final.instructions
        .filter((i) => i.getKeyword() === "ENV")
        .flatMap((i) => argumentValues(i).map((value) => value.split("=")[0]!)),
    );
    for (const instruction of final.instructions) {
      expect(instruction.getTextContent()).not.toMatch(/--mount=type=secret|--secret/);
      for (const variable of instruction.getVariables()) {
        const name = variable.getName();
        expect(baseImageVariables.has(name) || ownEnv.has(name), `${instruction.getKeyword()} uses $${name}`).toBe(true);
      }
    }
    for (const stage of stages) {
      for (const arg of stage.instructions.filter((i) => i.getKeyword() === "ARG")) {
        expect(argumentValues(arg).join(" ")).not.toMatch(/secret|token|password|key/i);
      }
    }
  });
});
