/**
 * libpq 16's `require_auth` (URL) or PGREQUIREAUTH, which node-postgres does not have: the ways the
 * server may ask for the password, listed as allowed (`scram-sha-256,md5`) or, each with `!`, as
 * refused (`!password`). A server asking another way, or asking none (`none`) where that is not
 * allowed, fails the connection before the password, or anything made from it, is sent: a server
 * in the middle cannot turn a SCRAM exchange into a password in clear text. connection.ts and
 * pool.ts guard each client they make.
 */
import type pg from "pg";
import { StoreError, StoreLocationError } from "../types.js";
import type { PostgresTarget } from "./connection.js";
import { splitQuery } from "./url-query.js";

const METHODS = ["password", "md5", "gss", "sspi", "scram-sha-256", "none"] as const;
type Method = (typeof METHODS)[number];

/** How the server asks, by the driver's name for its message; `none` is a server that asks nothing. */
const ASKED_BY: Record<string, Method> = {
  authenticationCleartextPassword: "password",
  authenticationMD5Password: "md5",
  authenticationSASL: "scram-sha-256",
};

const IN_WORDS: Record<Method, string> = {
  password: "the password in clear text (password)",
  md5: "an MD5 hash of the password (md5)",
  gss: "Kerberos (gss)",
  sspi: "SSPI (sspi)",
  "scram-sha-256": "a SCRAM exchange (scram-sha-256)",
  none: "no password at all (none)",
};

interface Rule {
  given: string;
  allows(method: Method): boolean;
}

/** The URL's require_auth (or PGREQUIREAUTH), read and checked; undefined when neither says anything. */
export function requiredAuthentication(target: PostgresTarget): Rule | undefined {
  const given = splitQuery(target.url).query.get("require_auth") ?? (process.env.PGREQUIREAUTH || null);
  if (given === null) return undefined;
  const entries = given.split(",").map((entry) => entry.trim());
  const negated = entries.filter((entry) => entry.startsWith("!"));
  const methods = entries.map((entry) => entry.replace(/^!/, ""));
  const unknown = methods.find((method) => !(METHODS as readonly string[]).includes(method));
  if (unknown !== undefined)
    throw new StoreLocationError(
      `store ${target.display}: require_auth=${given} (URL or PGREQUIREAUTH): "${unknown}" is no way of asking for the password; give ${METHODS.join(", ")}, each with ! to refuse it`,
    );
  if (negated.length > 0 && negated.length < entries.length)
    throw new StoreLocationError(
      `store ${target.display}: require_auth=${given} (URL or PGREQUIREAUTH): list the ways allowed, or (each with !) the ways refused, not both`,
    );
  const listed = new Set(methods);
  return { given, allows: (method) => listed.has(method) !== negated.length > 0 };
}

/**
 * Makes `client` (not yet connected) keep the URL's require_auth, where it has one: the driver
 * asks the client's password function only once the server has asked for the password, which the
 * listener prepended to the driver's own has noted by then; a way not allowed makes that function
 * fail, so nothing is sent. A server that asks nothing fails the connection as it accepts it.
 */
export function guardAuthentication(client: pg.Client, target: PostgresTarget): void {
  const rule = requiredAuthentication(target);
  if (!rule) return;
  let asked: Method | undefined;
  const refusal = (method: Method) =>
    new StoreError(
      target.display,
      `the server asked for ${IN_WORDS[method]}, which require_auth=${rule.given} does not allow: no password was sent`,
      undefined,
      "STORE_AUTH_FAILED",
    );
  for (const [message, method] of Object.entries(ASKED_BY))
    client.connection.prependListener(message, () => {
      asked = method;
    });
  client.connection.prependListener("authenticationOk", () => {
    if (asked === undefined && !rule.allows("none")) client.connection.emit("error", refusal("none"));
  });
  const password = (client as unknown as Passworded).password;
  (client as unknown as Passworded).password = async (parameters) => {
    if (asked !== undefined && !rule.allows(asked)) throw refusal(asked);
    return typeof password === "function" ? password(parameters) : password;
  };
}

/** The driver's password, as it keeps it on the client: the text, or a function it calls when the server asks. */
interface Passworded {
  password: string | undefined | ((parameters: unknown) => string | undefined | Promise<string | undefined>);
}
