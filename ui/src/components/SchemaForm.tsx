/**
 * The connection form, generated from the connector's own option schema
 * (JSON Schema: native Spec, Airbyte connectionSpecification, Conduit's
 * parameters as converted by its driver). Secret fields (marked by the schema,
 * or by the user's tick) are password inputs; masked values sent back
 * unchanged keep the stored secret. Without a schema: a text area, JSON or raw.
 */
import type { JSX } from "preact";
import type { JsonSchema, Options } from "../api";

type Value = Record<string, unknown>;

export interface SchemaFormProps {
  schema: JsonSchema | null;
  options: Options;
  onOptions: (options: Options) => void;
  /** Secret fields the schema marks (JSON pointers). */
  schemaSecrets: string[];
  /** Secret fields the user chose. */
  chosenSecrets: string[];
  onChosenSecrets: (paths: string[]) => void;
  /** The field the server named in its last error, to highlight. */
  errorField?: string;
}

export function SchemaForm(props: SchemaFormProps) {
  if (!props.schema?.properties) return <FreeOptions {...props} />;
  const value = props.options.format === "json" ? props.options.value : {};
  return (
    <ObjectFields
      schema={props.schema}
      value={value}
      path=""
      onChange={(next) => props.onOptions({ format: "json", value: next })}
      secrets={{ schema: props.schemaSecrets, chosen: props.chosenSecrets, onChosen: props.onChosenSecrets }}
    />
  );
}

interface Secrets {
  schema: string[];
  chosen: string[];
  onChosen: (paths: string[]) => void;
}

function ObjectFields({
  schema,
  value,
  path,
  onChange,
  secrets,
}: {
  schema: JsonSchema;
  value: Value;
  path: string;
  onChange: (value: Value) => void;
  secrets: Secrets;
}) {
  const properties = Object.entries(schema.properties ?? {}).sort(
    ([, a], [, b]) => (a.order ?? Number.MAX_SAFE_INTEGER) - (b.order ?? Number.MAX_SAFE_INTEGER),
  );
  const required = new Set(schema.required ?? []);
  return (
    <div class="fields">
      {properties.map(([name, child]) => (
        <Field
          key={name}
          name={name}
          schema={child}
          required={required.has(name)}
          value={value[name]}
          path={`${path}/${name.replaceAll("~", "~0").replaceAll("/", "~1")}`}
          onChange={(next) => {
            const copy = { ...value };
            if (next === undefined) delete copy[name];
            else copy[name] = next;
            onChange(copy);
          }}
          secrets={secrets}
        />
      ))}
    </div>
  );
}

function Field({
  name,
  schema,
  required,
  value,
  path,
  onChange,
  secrets,
}: {
  name: string;
  schema: JsonSchema;
  required: boolean;
  value: unknown;
  path: string;
  onChange: (value: unknown) => void;
  secrets: Secrets;
}) {
  const id = `opt-${path.slice(1).replaceAll("/", "-")}`;
  const label = (
    <label for={id}>
      {schema.title ?? humanize(name)}
      {required && <span class="required" title="required"> *</span>}
      {!schema.title && humanize(name) !== name && <code class="option-name">{name}</code>}
    </label>
  );
  const help = schema.description ? <small class="help">{schema.description}</small> : null;
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  const variants = schema.oneOf ?? schema.anyOf;

  if (variants?.length && variants.every((v) => v.properties))
    return <VariantField {...{ id, name, schema, variants, value, path, onChange, secrets, label, help }} />;
  if (type === "object" && schema.properties)
    return (
      <fieldset class="nested">
        <legend>{schema.title ?? humanize(name)}</legend>
        {help}
        <ObjectFields
          schema={schema}
          value={(value as Value | undefined) ?? {}}
          path={path}
          onChange={onChange}
          secrets={secrets}
        />
      </fieldset>
    );

  let input: JSX.Element;
  if (schema.enum) {
    input = (
      <select
        id={id}
        value={value === undefined ? "" : String(value)}
        onChange={(e) => {
          const text = (e.target as HTMLSelectElement).value;
          onChange(text === "" ? undefined : schema.enum!.find((option) => String(option) === text));
        }}
      >
        <option value="">{schema.default !== undefined ? `default (${String(schema.default)})` : "—"}</option>
        {schema.enum.map((option) => (
          <option key={String(option)} value={String(option)}>
            {String(option)}
          </option>
        ))}
      </select>
    );
  } else if (type === "boolean") {
    input = (
      <input
        id={id}
        type="checkbox"
        checked={value === undefined ? schema.default === true : value === true}
        onChange={(e) => onChange((e.target as HTMLInputElement).checked)}
      />
    );
  } else if (type === "integer" || type === "number") {
    input = (
      <input
        id={id}
        type="number"
        inputMode="numeric"
        step={type === "integer" ? 1 : "any"}
        min={schema.minimum}
        max={schema.maximum}
        placeholder={schema.default !== undefined ? String(schema.default) : undefined}
        value={value === undefined ? "" : String(value)}
        onInput={(e) => {
          const text = (e.target as HTMLInputElement).value;
          onChange(text === "" ? undefined : Number(text));
        }}
      />
    );
  } else if (type === "array" && (schema.items?.type === "string" || !schema.items)) {
    input = (
      <input
        id={id}
        type="text"
        placeholder="comma-separated"
        value={Array.isArray(value) ? value.join(", ") : ""}
        onInput={(e) => {
          const text = (e.target as HTMLInputElement).value;
          const items = text
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean);
          onChange(items.length ? items : undefined);
        }}
      />
    );
  } else if (type === "string" || type === undefined) {
    const secret = secrets.schema.includes(path) || secrets.chosen.includes(path);
    const text = {
      id,
      placeholder: schema.default !== undefined ? String(schema.default) : (schema.examples?.[0] as string | undefined),
      value: value === undefined ? "" : String(value),
      onInput: (e: Event) => {
        const typed = (e.target as HTMLInputElement).value;
        onChange(typed === "" ? undefined : typed);
      },
    };
    input = (
      <div class="with-toggle">
        {secret ? <input type="password" autoComplete="new-password" {...text} /> : <input type="text" autoComplete="off" {...text} />}
        {!secrets.schema.includes(path) && (
          <label class="toggle" title="store this value encrypted and never show it again">
            <input
              type="checkbox"
              data-secret-toggle={path}
              checked={secrets.chosen.includes(path)}
              onChange={(e) =>
                secrets.onChosen(
                  (e.target as HTMLInputElement).checked
                    ? [...secrets.chosen, path]
                    : secrets.chosen.filter((p) => p !== path),
                )
              }
            />{" "}
            secret
          </label>
        )}
      </div>
    );
  } else {
    input = <JsonField id={id} value={value} onChange={onChange} />;
  }
  return (
    <div class={`field field-${type ?? "any"}`}>
      {label}
      {input}
      {help}
    </div>
  );
}

function VariantField(props: {
  id: string;
  name: string;
  schema: JsonSchema;
  variants: JsonSchema[];
  value: unknown;
  path: string;
  onChange: (value: unknown) => void;
  secrets: Secrets;
  label: JSX.Element;
  help: JSX.Element | null;
}) {
  const current = (props.value as Value | undefined) ?? {};
  const discriminator = Object.keys(props.variants[0].properties ?? {}).find((key) =>
    props.variants.every((v) => v.properties?.[key]?.const !== undefined),
  );
  const chosen = Math.max(
    0,
    props.variants.findIndex((v) =>
      discriminator ? v.properties?.[discriminator]?.const === current[discriminator] : false,
    ),
  );
  const variant = props.variants[chosen];
  return (
    <fieldset class="nested">
      <legend>{props.schema.title ?? humanize(props.name)}</legend>
      {props.help}
      <select
        id={props.id}
        value={String(chosen)}
        onChange={(e) => {
          const next = props.variants[Number((e.target as HTMLSelectElement).value)];
          props.onChange(discriminator ? { [discriminator]: next.properties?.[discriminator]?.const } : {});
        }}
      >
        {props.variants.map((v, i) => (
          <option key={i} value={String(i)}>
            {v.title ?? (discriminator ? String(v.properties?.[discriminator]?.const) : `option ${i + 1}`)}
          </option>
        ))}
      </select>
      <ObjectFields
        schema={{
          ...variant,
          properties: Object.fromEntries(Object.entries(variant.properties ?? {}).filter(([k]) => k !== discriminator)),
        }}
        value={current}
        path={props.path}
        onChange={(next) =>
          props.onChange(discriminator ? { ...next, [discriminator]: variant.properties?.[discriminator]?.const } : next)
        }
        secrets={props.secrets}
      />
    </fieldset>
  );
}

function JsonField({ id, value, onChange }: { id: string; value: unknown; onChange: (value: unknown) => void }) {
  return (
    <textarea
      id={id}
      rows={3}
      class="mono"
      placeholder="JSON"
      value={value === undefined ? "" : JSON.stringify(value)}
      onChange={(e) => {
        const text = (e.target as HTMLTextAreaElement).value.trim();
        try {
          onChange(text === "" ? undefined : JSON.parse(text));
        } catch {
          // Left as it was until it parses; the server names the field if it is still wrong.
        }
      }}
    />
  );
}

/** No schema: the options as text, JSON or raw (c1-core connectors take any string). */
function FreeOptions(props: SchemaFormProps) {
  const { options } = props;
  const text = options.format === "raw" ? options.value : JSON.stringify(options.value, null, 2);
  const wholeSecret = props.chosenSecrets.includes("");
  return (
    <div class="fields">
      <p class="muted">This connector publishes no option schema: write its options as it documents them.</p>
      <div class="field">
        <label for="opt-format">Format</label>
        <select
          id="opt-format"
          value={options.format}
          onChange={(e) => {
            const format = (e.target as HTMLSelectElement).value as Options["format"];
            if (format === "raw") props.onOptions({ format, value: text });
            else {
              try {
                props.onOptions({ format, value: JSON.parse(text || "{}") });
              } catch {
                props.onOptions({ format, value: {} });
              }
              props.onChosenSecrets(props.chosenSecrets.filter((p) => p !== ""));
            }
          }}
        >
          <option value="json">JSON object</option>
          <option value="raw">raw text</option>
        </select>
      </div>
      <div class="field">
        <label for="opt-raw">Options</label>
        <textarea
          id="opt-raw"
          class="mono"
          rows={6}
          value={text}
          onInput={(e) => {
            const value = (e.target as HTMLTextAreaElement).value;
            if (options.format === "raw") props.onOptions({ format: "raw", value });
            else {
              try {
                props.onOptions({ format: "json", value: JSON.parse(value || "{}") });
              } catch {
                // Kept as typed once it parses.
              }
            }
          }}
        />
      </div>
      {options.format === "raw" ? (
        <label class="toggle">
          <input
            type="checkbox"
            checked={wholeSecret}
            onChange={(e) =>
              props.onChosenSecrets((e.target as HTMLInputElement).checked ? [""] : [])
            }
          />{" "}
          these options are secret (stored encrypted, never shown again)
        </label>
      ) : (
        <div class="field">
          <label for="opt-secret-fields">Secret fields</label>
          <input
            id="opt-secret-fields"
            type="text"
            placeholder="e.g. api_token, password"
            value={props.chosenSecrets.map((p) => p.slice(1)).join(", ")}
            onChange={(e) =>
              props.onChosenSecrets(
                (e.target as HTMLInputElement).value
                  .split(",")
                  .map((s) => s.trim())
                  .filter(Boolean)
                  .map((s) => `/${s}`),
              )
            }
          />
          <small class="help">Top-level fields to store encrypted and never show again.</small>
        </div>
      )}
    </div>
  );
}

/** "page_size" → "Page size", "startId" → "Start id": a readable label when the schema gives no title. */
function humanize(name: string): string {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim()
    .toLowerCase();
  return words ? words[0].toUpperCase() + words.slice(1) : name;
}
