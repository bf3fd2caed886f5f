import type { ServerResponse } from "node:http";
import type { HttpReply } from "./reply.js";

/** Writes `reply` as a function URL frames it: its own Content-Length, the function's framing headers dropped. */
export function writeReply(response: ServerResponse, reply: HttpReply, closeConnection: boolean): void {
  const grouped = new Map<string, { name: string; values: string[] }>();
  for (const [name, value] of reply.headers) {
    const key = name.toLowerCase();
    if (key === "content-length" || key === "transfer-encoding" || key === "connection") continue;
    const entry = grouped.get(key) ?? { name, values: [] };
    entry.values.push(value);
    grouped.set(key, entry);
  }
  for (const { name, values } of grouped.values()) response.setHeader(name, values.length === 1 ? values[0]! : values);
  response.setHeader("content-length", reply.body.length);
  if (closeConnection) response.setHeader("connection", "close");
  response.writeHead(reply.statusCode);
  response.end(reply.body);
}
