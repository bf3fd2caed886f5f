import { isIP } from "node:net";

/**
 * Which Host headers the local server answers, against DNS rebinding: a web page whose name resolves to 127.0.0.1
 * would otherwise reach the server (and the developer's AWS credentials in its environment) from the browser.
 * A loopback bind answers `localhost`, `127.0.0.1` and `[::1]` (and the bound address) with the port; another
 * specific address answers only that address with the port; a wildcard bind (0.0.0.0, ::) cannot know its names and
 * answers any Host, which `bindWarning` says.
 */
export interface HostPolicy {
  /** Undefined: any Host header is accepted. */
  readonly allowedHosts: ReadonlySet<string> | undefined;
  accepts(hostHeader: string | undefined): boolean;
}

const wildcardAddresses = new Set(["0.0.0.0", "::", "0:0:0:0:0:0:0:0"]);
const loopbackNames = ["localhost", "127.0.0.1", "[::1]"];

export function isWildcardAddress(host: string): boolean {
  return wildcardAddresses.has(host.toLowerCase());
}

export function isLoopbackAddress(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (name === "localhost" || name === "::1" || name === "0:0:0:0:0:0:0:1") return true;
  if (isIP(name) === 4) return name.startsWith("127.");
  return name.startsWith("::ffff:127.");
}

/** The host as it appears in a URL or Host header: IPv6 literals in brackets. */
export function hostForUrl(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

export function hostPolicy(bindHost: string, port: number): HostPolicy {
  if (isWildcardAddress(bindHost)) return { allowedHosts: undefined, accepts: () => true };
  const names = new Set([hostForUrl(bindHost).toLowerCase(), ...(isLoopbackAddress(bindHost) ? loopbackNames : [])]);
  const allowedHosts = new Set([...names].map((name) => `${name}:${port}`));
  // A client may leave out the default port.
  if (port === 80) for (const name of names) allowedHosts.add(name);
  return { allowedHosts, accepts: (hostHeader) => hostHeader !== undefined && allowedHosts.has(hostHeader.toLowerCase()) };
}

/** A warning to print before serving on anything but loopback, or undefined for a loopback bind. */
export function bindWarning(bindHost: string): string | undefined {
  if (isLoopbackAddress(bindHost)) return undefined;
  const exposure =
    "other machines on the network can call the handler, which runs with your AWS credentials and environment, without authentication";
  if (isWildcardAddress(bindHost)) {
    return `Warning: listening on all interfaces (${bindHost}): ${exposure}; any Host header is accepted, so DNS rebinding from a web page is not blocked.`;
  }
  return `Warning: listening on ${bindHost}, not loopback: ${exposure}.`;
}
