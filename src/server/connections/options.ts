/**
 * A connection's options and which parts of them are secret. Options are
 * either a JSON object (when the connector publishes a schema, or the user
 * writes JSON) or a raw string handed to the connector as is (c1-core).
 * Secret parts are named by JSON pointers ("/credentials/token"); the pointer
 * "" is the whole of raw options. Stored and shown: the options with each
 * secret replaced by MASK; the secrets themselves are sealed apart.
 */
import { ServerError } from "../errors.js";

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export type ConnectionOptions = { format: "json"; value: JsonObject } | { format: "raw"; value: string };

/** What a secret reads as in every response; sending it back means "keep the stored value". */
export const MASK = "••••••••";

/** The options to hand to the connector. */
export function optionsText(options: ConnectionOptions): string {
  return options.format === "raw" ? options.value : JSON.stringify(options.value);
}

/** Splits secrets out: `rest` has MASK where each secret was. */
export function splitSecrets(
  options: ConnectionOptions,
  paths: string[],
): { rest: ConnectionOptions; secrets: Record<string, Json> } {
  const secrets: Record<string, Json> = {};
  if (options.format === "raw") {
    if (!paths.includes("")) return { rest: options, secrets };
    secrets[""] = options.value;
    return { rest: { format: "raw", value: MASK }, secrets };
  }
  const rest = structuredClone(options.value);
  for (const path of paths) {
    if (path === "")
      throw new ServerError(
        "OPTIONS_INVALID",
        'the secret path "" (the whole options) is for raw options; name the secret fields of JSON options',
        "secretPaths",
      );
    const found = get(rest, path);
    if (found === undefined || found === null || found === "") continue;
    secrets[path] = found;
    put(rest, path, MASK);
  }
  return { rest: { format: "json", value: rest }, secrets };
}

/** Puts sealed secrets back: the options the connector gets. */
export function joinSecrets(rest: ConnectionOptions, secrets: Record<string, Json>): ConnectionOptions {
  if (rest.format === "raw") return "" in secrets ? { format: "raw", value: String(secrets[""]) } : rest;
  const value = structuredClone(rest.value);
  for (const [path, secret] of Object.entries(secrets)) put(value, path, secret);
  return { format: "json", value };
}

/**
 * The options a client sent, with each MASK replaced by the stored secret at
 * that place (an edit form sends masked secrets back unchanged).
 */
export function unmask(given: ConnectionOptions, stored: Record<string, Json>): ConnectionOptions {
  if (given.format === "raw") {
    if (given.value !== MASK) return given;
    if (!("" in stored))
      throw new ServerError(
        "OPTIONS_INVALID",
        "the options are the mask of a secret that is not stored; enter their value",
        "options",
      );
    return { format: "raw", value: String(stored[""]) };
  }
  const value = structuredClone(given.value);
  for (const [path, secret] of Object.entries(stored)) if (get(value, path) === MASK) put(value, path, secret);
  const left = findMask(value, "");
  if (left !== undefined)
    throw new ServerError(
      "OPTIONS_INVALID",
      `option "${pointerName(left)}" is the mask of a secret that is not stored; enter its value`,
      "options",
    );
  return { format: "json", value };
}

/** "/credentials/token" → "credentials.token", as people read a field's name. */
export function pointerName(path: string): string {
  return path === "" ? "(the whole options)" : parsePointer(path).join(".");
}

export function parsePointer(path: string): string[] {
  if (path === "") return [];
  if (!path.startsWith("/"))
    throw new ServerError("OPTIONS_INVALID", `"${path}" is not a JSON pointer (it starts with /)`, "secretPaths");
  return path
    .slice(1)
    .split("/")
    .map((part) => part.replaceAll("~1", "/").replaceAll("~0", "~"));
}

export function pointerOf(parts: string[]): string {
  return parts.map((part) => `/${part.replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");
}

function get(root: JsonObject, path: string): Json | undefined {
  let node: Json | undefined = root;
  for (const part of parsePointer(path)) {
    if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
    node = node[part];
  }
  return node;
}

function put(root: JsonObject, path: string, value: Json): void {
  const parts = parsePointer(path);
  let node: JsonObject = root;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (next === null || typeof next !== "object" || Array.isArray(next)) node[part] = {};
    node = node[part] as JsonObject;
  }
  node[parts[parts.length - 1]] = value;
}

function findMask(node: Json, path: string): string | undefined {
  if (node === MASK) return path;
  if (node === null || typeof node !== "object") return undefined;
  const entries: [string, Json][] = Array.isArray(node) ? node.map((v, i) => [String(i), v]) : Object.entries(node);
  for (const [key, value] of entries) {
    const found = findMask(value, `${path}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`);
    if (found !== undefined) return found;
  }
  return undefined;
}
