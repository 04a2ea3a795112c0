/**
 * What the connection form is generated from: the connector's own option
 * schema (a JSON Schema from native Spec or Airbyte's connectionSpecification;
 * Conduit's specification arrives converted to one by its driver), and which
 * of its fields are secret. Without a schema, options are free: a JSON object
 * (Code Climate configurations) or a raw string (c1-core), secrets chosen by
 * the user.
 */
import { pointerOf } from "./options.js";

type SchemaNode = Record<string, unknown>;

/** Keywords by which schemas of the field mark a secret value. */
const SECRET_MARKS = ["secret", "airbyte_secret", "writeOnly", "sensitive", "x-sensitive", "x-secret"] as const;

export function isSecretField(node: SchemaNode): boolean {
  return SECRET_MARKS.some((mark) => node[mark] === true) || node.format === "password";
}

/**
 * JSON pointers of every field the schema marks secret, including those in
 * nested objects and in each variant of a oneOf/anyOf/allOf (Airbyte's
 * authentication choices): a variant's secret is a secret whichever is chosen.
 */
export function secretPathsOf(schema: object | undefined): string[] {
  const found = new Set<string>();
  if (schema) visit(schema as SchemaNode, [], found, 0);
  return [...found];
}

function visit(node: SchemaNode, path: string[], found: Set<string>, depth: number): void {
  if (depth > 32) return; // a self-referencing schema must not loop
  if (path.length > 0 && isSecretField(node)) found.add(pointerOf(path));
  const properties = node.properties;
  if (properties && typeof properties === "object")
    for (const [name, child] of Object.entries(properties as Record<string, unknown>))
      if (child && typeof child === "object") visit(child as SchemaNode, [...path, name], found, depth + 1);
  for (const keyword of ["oneOf", "anyOf", "allOf"]) {
    const variants = node[keyword];
    if (Array.isArray(variants))
      for (const variant of variants)
        if (variant && typeof variant === "object") visit(variant as SchemaNode, path, found, depth + 1);
  }
}
