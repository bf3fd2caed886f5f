// Runs in a fresh process (test/request-budget.test.ts): the real handler, initialised as in Lambda from the
// environment it is given, answers the worst requests the limits allow; prints the process's peak RSS (VmHWM).
import { readFileSync } from "node:fs";
import sharp from "sharp";
import { gifClaiming } from "./crafted-images.js";
import { postJson } from "./handler-calls.js";

const { handler } = await import("../../handler/index.js");

const gifBombs = Array.from({ length: 16 }, () => gifClaiming(8000, 5000));
// 16-bit RGBA, EXIF-rotated: no shrink on load, a full-size copy for the rotation. Eight fit under the 6 MB body.
const rotatedPng = await sharp({ create: { width: 6300, height: 6300, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } })
  .png({ compressionLevel: 9 })
  .toColourspace("rgb16")
  .withMetadata({ orientation: 6 })
  .toBuffer();
const requests = { gifBombs, rotatedPngs: Array.from({ length: 8 }, () => rotatedPng) };

const outcome: Record<string, { status: number; codes: string[]; cpuMs: number }> = {};
for (const [name, images] of Object.entries(requests)) {
  const cpu = process.cpuUsage();
  const answer = await postJson(handler, { images: images.map((image) => image.toString("base64")) });
  const used = process.cpuUsage(cpu);
  outcome[name] = {
    status: answer.status,
    codes: (answer.json.results as { error?: { code: string } }[]).map((result) => result.error?.code ?? "OK"),
    cpuMs: Math.round((used.user + used.system) / 1000),
  };
}
const peakKb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]);
process.stdout.write(`${JSON.stringify({ peakMb: Math.round(peakKb / 1024), outcome })}\n`);
