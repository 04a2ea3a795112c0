/**
 * Connector manifests: reading one (a file, a URL or stdin), JSON syntax
 * errors with line and column, validation against the published schema
 * (schemas/manifest.schema.json) with one message per field, warnings for
 * unknown fields, and relative paths made absolute so the stored manifest
 * means the same thing wherever `update` later runs.
 */
import type { ErrorObject, ValidateFunction } from "ajv";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { ConnectorProtocol } from "../drivers/protocols.js";
import { messageOf, UsageError } from "../errors.js";
import { createAjv } from "../json-schema.js";
import { nearestName } from "../spelling.js";
import { ManifestError } from "./errors.js";
import { httpGet } from "./fetch/http-get.js";

export const SOURCES = ["HTTP", "VCS", "Local"] as const;
export type Source = (typeof SOURCES)[number];

export interface Manifest {
  name: string;
  description?: string;
  source: Source;
  uri: string;
  install_command?: string;
  update_command?: string;
  command: string;
  /** VCS: branch, tag or commit. */
  ref?: string;
  /** HTTP: expected SHA-256 of the download, lower-case hex. */
  sha256?: string;
  version?: string;
  /** The protocol the connector speaks; detected at install when absent. */
  protocol?: ConnectorProtocol;
}

export interface LoadedManifest {
  manifest: Manifest;
  /** Where it came from, for messages: a path, a URL or "stdin". */
  origin: string;
  warnings: string[];
}

const schemaUrl = new URL("../../schemas/manifest.schema.json", import.meta.url);
export const MANIFEST_SCHEMA_PATH = fileURLToPath(schemaUrl);

interface FieldSchema {
  description?: string;
  pattern?: string;
  "x-expected"?: string;
}
const schema = JSON.parse(readFileSync(schemaUrl, "utf8")) as { properties: Record<string, FieldSchema> };
const KNOWN_FIELDS = Object.keys(schema.properties);

let compiled: ValidateFunction | undefined;
/** The manifest schema's validator, compiled on first use. */
function schemaValidator(): ValidateFunction {
  if (!compiled) {
    const ajv = createAjv({ allErrors: true, verbose: true });
    ajv.addVocabulary(["x-expected"]);
    compiled = ajv.compile(schema);
  }
  return compiled;
}

const MAX_MANIFEST_BYTES = 1024 * 1024;
const NAME_PATTERN = new RegExp(schema.properties.name.pattern ?? ".");

/** A connector name given elsewhere than the manifest (`--name`), held to the manifest's rule. */
export function checkName(name: string, where: string): void {
  if (!NAME_PATTERN.test(name))
    throw new UsageError(`${where}: expected ${schema.properties.name["x-expected"]}, got ${JSON.stringify(name)}`);
}

/** Reads a manifest from a path, an http(s) URL, or "-" (stdin). */
export async function loadManifest(location: string, options: { signal?: AbortSignal } = {}): Promise<LoadedManifest> {
  if (location === "-") return parseManifest(await readStdin(), "stdin", process.cwd());
  if (/^https?:\/\//i.test(location)) {
    const response = await httpGet(location, options.signal, "the manifest's URL (the argument of install)");
    const text = await response.text();
    if (text.length > MAX_MANIFEST_BYTES)
      throw new ManifestError(location, [`larger than ${MAX_MANIFEST_BYTES} bytes; is this a manifest?`]);
    return parseManifest(text, location, process.cwd());
  }
  const path = resolve(location);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ManifestError(location, [`cannot be read: ${messageOf(error)}`]);
  }
  return parseManifest(text, location, dirname(path));
}

/**
 * Parses and validates manifest text. `baseDir` anchors relative paths in
 * `uri` (Local folders, local git repositories): the manifest's own folder.
 */
export function parseManifest(text: string, origin: string, baseDir: string): LoadedManifest {
  const value = parseJson(text, origin);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ManifestError(origin, [
      `expected a JSON object with the fields ${KNOWN_FIELDS.join(", ")}; got ${describeValue(value)}`,
    ]);
  }
  const fields = withoutEmptyOptionals(value as Record<string, unknown>);
  const validateSchema = schemaValidator();
  if (!validateSchema(fields)) throw new ManifestError(origin, describeSchemaErrors(validateSchema.errors ?? []));
  const manifest = fields as unknown as Manifest;
  const problems = checkUri(manifest);
  if (problems.length > 0) throw new ManifestError(origin, problems);
  return { manifest: normalize(manifest, baseDir), origin, warnings: warningsFor(fields) };
}

/** The seed's own example has `"update_command": ""`: an empty optional string means "not given". */
function withoutEmptyOptionals(fields: Record<string, unknown>): Record<string, unknown> {
  const optional = ["description", "install_command", "update_command", "ref", "sha256", "version"];
  return Object.fromEntries(
    Object.entries(fields).filter(([key, v]) => !(optional.includes(key) && typeof v === "string" && v.trim() === "")),
  );
}

function parseJson(text: string, origin: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ManifestError(origin, [describeJsonSyntaxError(text, messageOf(error))]);
  }
}

/**
 * V8 says "… in JSON at position 58"; people need a line and a column, the
 * line itself, and — for the most common slip — a word about the comma.
 */
export function describeJsonSyntaxError(text: string, message: string): string {
  // An error at the end of the input (text that ends too early) is shown where the text ends,
  // not on the empty line after its last newline.
  const position = Math.min(Number(/at position (\d+)/.exec(message)?.[1] ?? text.length), text.trimEnd().length);
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  const column = position - before.lastIndexOf("\n");
  const what = message
    .replace(/\s*in JSON at position \d+.*$/s, "")
    .replace(/^Unexpected end of JSON input$/, "the text ends too early");
  const lineText = text.split("\n")[line - 1] ?? "";
  const previous = before.trimEnd();
  const missingComma =
    /^Expected ',' or '[}\]]'/.test(what) && /["\d}\]el]$/.test(previous)
      ? " (is a comma missing at the end of the previous value?)"
      : "";
  return `not valid JSON at line ${line}, column ${column}: ${what}${missingComma}\n    ${lineText}\n    ${" ".repeat(Math.max(0, column - 1))}^`;
}

function describeSchemaErrors(errors: ErrorObject[]): string[] {
  const problems = errors.filter((e) => e.keyword !== "if").map(describeSchemaError);
  return [...new Set(problems)];
}

function describeSchemaError(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "required") {
    const field = String(params.missingProperty);
    return `"${field}" is required: ${schema.properties[field]?.description ?? ""}`.trim();
  }
  const field = error.instancePath.slice(1).replaceAll("/", ".") || "(manifest)";
  const described =
    error.keyword === "type" ? undefined : (error.parentSchema as FieldSchema | undefined)?.["x-expected"];
  const expected = described ?? expectedFromKeyword(error);
  return `"${field}": expected ${expected}, got ${describeValue(error.data)}${caseHint(error)}`;
}

function expectedFromKeyword(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "type") return `a ${String(params.type)}`;
  if (error.keyword === "enum")
    return `one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
  return error.message ?? "something else";
}

/** `"source": "vcs"` is a near miss worth naming. */
function caseHint(error: ErrorObject): string {
  if (error.keyword !== "enum" || typeof error.data !== "string") return "";
  const data = error.data.toLowerCase();
  const match = ((error.params as { allowedValues: unknown[] }).allowedValues as string[]).find(
    (v) => v.toLowerCase() === data,
  );
  return match ? ` (did you mean "${match}"? the value is case-sensitive)` : "";
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function checkUri(manifest: Manifest): string[] {
  const { source, uri } = manifest;
  if (source === "HTTP") {
    try {
      const url = new URL(uri);
      if (!url.hostname)
        return [
          `"uri": expected an http:// or https:// URL with a host (source is "HTTP"), got ${JSON.stringify(uri)}`,
        ];
    } catch {
      return [
        `"uri": expected an http:// or https:// URL (source is "HTTP"), got ${JSON.stringify(uri)}, which is not a valid URL`,
      ];
    }
  }
  if (/[\u0000-\u001f]/.test(uri)) return [`"uri": contains control characters (a newline?): ${JSON.stringify(uri)}`];
  // Never let a uri be read as a git option (`--upload-pack=…`).
  if (source === "VCS" && uri.startsWith("-"))
    return [`"uri": expected a git repository URL or path, got ${JSON.stringify(uri)}, which starts with "-"`];
  if (manifest.ref?.startsWith("-"))
    return [`"ref": expected a branch, tag or commit, got ${JSON.stringify(manifest.ref)}, which starts with "-"`];
  return [];
}

function normalize(manifest: Manifest, baseDir: string): Manifest {
  const normalized: Manifest = { ...manifest };
  if (manifest.sha256) normalized.sha256 = manifest.sha256.replace(/^sha256:/, "").toLowerCase();
  if (manifest.source === "Local")
    normalized.uri = absolutePath(
      manifest.uri.startsWith("file://") ? fileURLToPath(manifest.uri) : manifest.uri,
      baseDir,
    );
  else if (manifest.source === "VCS" && /^(\.{1,2}|~)(\/|$)/.test(manifest.uri))
    normalized.uri = absolutePath(manifest.uri, baseDir);
  // Keep only the fields Sluice knows: the stored manifest is what update runs.
  return Object.fromEntries(
    Object.entries(normalized).filter(([key]) => KNOWN_FIELDS.includes(key)),
  ) as unknown as Manifest;
}

function absolutePath(path: string, baseDir: string): string {
  if (path === "~" || path.startsWith("~/")) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? resolve(path) : resolve(baseDir, path);
}

function warningsFor(fields: Record<string, unknown>): string[] {
  const warnings = Object.keys(fields)
    .filter((key) => !KNOWN_FIELDS.includes(key))
    .map((key) => {
      const near = nearestName(key, KNOWN_FIELDS);
      return `unknown field "${key}" is ignored${near ? ` (did you mean "${near}"?)` : ""}; known fields: ${KNOWN_FIELDS.join(", ")}`;
    });
  if (fields.ref !== undefined && fields.source !== "VCS")
    warnings.push(`"ref" is only used when "source" is "VCS"; ignored`);
  if (fields.sha256 !== undefined && fields.source !== "HTTP")
    warnings.push(`"sha256" is only used when "source" is "HTTP"; ignored`);
  if (fields.source === "HTTP" && fields.sha256 === undefined && /^http:/i.test(String(fields.uri))) {
    warnings.push(`"uri" is plain http:// and no "sha256" is given: the download cannot be checked`);
  }
  return warnings;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
