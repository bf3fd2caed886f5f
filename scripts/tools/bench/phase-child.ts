/** Entry of a benchmark phase's child process. argv: phase name, JSON PhaseContext. Answers with one PhaseMessage. */
import type { PhaseContext, PhaseMessage } from "./phase-protocol.js";

const phases: Record<string, () => Promise<{ run(context: PhaseContext): Promise<unknown> }>> = {
  floor: () => import("./phases/floor.js"),
  conventions: () => import("./phases/conventions.js"),
  server: () => import("./phases/server.js"),
  profile: () => import("./phases/profile.js"),
  "batch-sizes": () => import("./phases/batch-sizes.js"),
};

const [name = "", contextJson = "{}"] = process.argv.slice(2);
const send = (message: PhaseMessage) =>
  new Promise<void>((resolve) => (process.send ? process.send(message, () => resolve()) : resolve()));

try {
  const load = phases[name];
  if (!load) throw new Error(`unknown phase ${name}`);
  const phase = await load();
  const result = await phase.run(JSON.parse(contextJson) as PhaseContext);
  await send({ ok: true, result });
  process.exit(0);
} catch (error) {
  await send({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  process.exit(1);
}
