/**
 * `--listen` values, shared by `sluice server` and `sluice serve qlik`: host:port, or a bare
 * port, which means loopback (what a user typing `--listen 50053` wants; handed to gRPC as is,
 * "50053" resolves as a host name and fails far from the flag), and whether an address is loopback,
 * for the servers' warnings and the Qlik client's refusal to send a token in plain text.
 */
import { SluiceError } from "../errors.js";

const LOOPBACK = "127.0.0.1";

export function parseListen(listen: string): { host: string; port: number } {
  const match = /^\d{1,5}$/.test(listen) ? [listen, LOOPBACK, listen] : listen.match(/^(\[[^\]]+\]|[^:]+):(\d{1,5})$/);
  const port = Number(match?.[2]);
  if (!match || port > 65535)
    throw new SluiceError(
      "USAGE",
      `--listen must be host:port or a port, e.g. 127.0.0.1:8080, [::1]:8080 or 8080 (got "${listen}")`,
    );
  return { host: match[1].replace(/^\[|\]$/g, ""), port };
}

/** The same, as the host:port text gRPC binds to (IPv6 hosts in brackets). */
export function listenAddress(listen: string): string {
  const { host, port } = parseListen(listen);
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** 127.0.0.0/8, ::1 and localhost: hosts only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The same for a host:port address (IPv6 hosts in brackets). */
export function isLoopbackAddress(address: string): boolean {
  return isLoopbackHost(address.slice(0, address.lastIndexOf(":")).replace(/^\[|\]$/g, ""));
}
