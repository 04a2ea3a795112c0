/** The flags that say how to reach Temporal, shared by `sluice worker` and `sluice server --temporal`. */
import type { Command } from "commander";
// The SDK loads only when a Temporal command runs: these two modules import none of it.
import type { TemporalSettings } from "../worker/temporal-connection.js";
import { DEFAULT_NAMESPACE, DEFAULT_TASK_QUEUE } from "../worker/types.js";

export interface TemporalFlags {
  temporal?: string;
  namespace: string;
  taskQueue: string;
  tls?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsServerName?: string;
}

export const TEMPORAL_HELP = `
Temporal: --temporal host:port (or TEMPORAL_ADDRESS), --namespace (or
TEMPORAL_NAMESPACE). TLS with --tls (system roots), --tls-ca for a private CA,
--tls-cert and --tls-key for mTLS; an API key (Temporal Cloud) only through
TEMPORAL_API_KEY, never on the command line. See docs/temporal.md.`;

export function addTemporalOptions(command: Command, addressHelp: string): Command {
  return command
    .option("--temporal <host:port>", addressHelp, process.env.TEMPORAL_ADDRESS)
    .option("--namespace <name>", "Temporal namespace", process.env.TEMPORAL_NAMESPACE ?? DEFAULT_NAMESPACE)
    .option("--task-queue <name>", "the task queue syncs run on (workers and server must agree)", DEFAULT_TASK_QUEUE)
    .option("--tls", "connect to Temporal over TLS (implied by the other --tls-* flags)")
    .option("--tls-ca <file>", "PEM file of the CA that signed Temporal's certificate")
    .option("--tls-cert <file>", "PEM client certificate for mTLS (with --tls-key)")
    .option("--tls-key <file>", "PEM private key of --tls-cert")
    .option("--tls-server-name <name>", "the name Temporal's certificate must carry, when not the host's");
}

/** The settings the flags give, or undefined when --temporal (and TEMPORAL_ADDRESS) is absent. */
export function temporalSettings(flags: TemporalFlags): TemporalSettings | undefined {
  if (!flags.temporal) return undefined;
  const files = { ca: flags.tlsCa, cert: flags.tlsCert, key: flags.tlsKey, serverName: flags.tlsServerName };
  const anyFile = Object.values(files).some((value) => value !== undefined);
  return {
    address: flags.temporal,
    namespace: flags.namespace,
    tls: anyFile ? files : flags.tls === true ? true : undefined,
  };
}
