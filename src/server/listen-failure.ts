/** Why a server could not listen, in words a user can act on: shared by `sluice server` and `sluice serve qlik`. */
import { messageOf, SluiceError } from "../errors.js";

export function listenFailure(listen: string, error: unknown): SluiceError {
  return new SluiceError("LISTEN_FAILED", `cannot listen on ${listen}: ${reason(messageOf(error))}`, { cause: error });
}

function reason(message: string): string {
  if (message.includes("EADDRINUSE"))
    return "the port is in use (another program listens there): stop it, or choose another port (port 0: any free one)";
  if (message.includes("EADDRNOTAVAIL") || message.includes("ENOTFOUND"))
    return "no network interface of this machine has that address (use 127.0.0.1, 0.0.0.0, or one of its own addresses)";
  if (message.includes("EACCES")) return "not allowed to listen on that port (ports below 1024 need privileges)";
  return message;
}
