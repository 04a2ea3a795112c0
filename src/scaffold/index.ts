/**
 * src/scaffold — `sluice new`: a connector project from the templates shipped
 * in the package (templates/<lang>/<protocol>, over templates/<lang>/_shared).
 * A template's files are copied with `{{placeholders}}` filled in; files
 * named `gitignore` and `npmrc` become dotfiles (npm leaves dotfiles out of
 * packages). Every combination with a folder is offered, and CI builds each
 * one and runs `sluice test` on it (test/scaffold.test.ts).
 *
 * May import: src/errors.ts.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SluiceError } from "../errors.js";

export const LANGUAGES = ["ts", "go", "python"] as const;
export type Language = (typeof LANGUAGES)[number];
export const PROTOCOLS = ["sluice", "c1", "conduit", "codeclimate"] as const;
export type ScaffoldProtocol = (typeof PROTOCOLS)[number];

/** The package root: templates/, sdk/ and dist/ are found from here. */
const packageRoot = fileURLToPath(new URL("../../", import.meta.url));
const templatesRoot = join(packageRoot, "templates");
const SHARED = "_shared";
const DOTFILES = new Set(["gitignore", "npmrc"]);

export interface ScaffoldRequest {
  name: string;
  language: Language;
  protocol: ScaffoldProtocol;
  /** Where the project goes; it must not exist, or be empty. */
  directory: string;
  /** Go module path (go only); default example.com/<name>. */
  goModule?: string;
}

export interface Scaffold {
  directory: string;
  files: string[];
  /** The commands that build and check the new project, in order. */
  nextSteps: string[];
}

export class ScaffoldError extends SluiceError {
  constructor(message: string) {
    super("USAGE", message);
  }
}

/** The protocols each language has a template for. */
export function offered(): Record<Language, ScaffoldProtocol[]> {
  const byLanguage = {} as Record<Language, ScaffoldProtocol[]>;
  for (const language of LANGUAGES)
    byLanguage[language] = PROTOCOLS.filter((protocol) => existsSync(join(templatesRoot, language, protocol)));
  return byLanguage;
}

export function scaffold(request: ScaffoldRequest): Scaffold {
  const { language, protocol } = validated(request);
  const directory = resolve(request.directory);
  if (existsSync(directory) && readdirSync(directory).length > 0)
    throw new ScaffoldError(`${directory} already exists and is not empty: choose another name or --dir`);
  const values = placeholders(request);
  // The protocol's files over the language's shared ones, by their path in the project.
  const files = new Map<string, string>();
  for (const folder of [join(templatesRoot, language, SHARED), join(templatesRoot, language, protocol)])
    if (existsSync(folder)) for (const file of walk(folder)) files.set(projectPath(relative(folder, file)), file);
  for (const [path, source] of files) {
    const target = join(directory, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, fill(readFileSync(source, "utf8"), values, `${language}/${protocol}/${path}`));
  }
  return {
    directory,
    files: [...files.keys()].sort(),
    nextSteps: NEXT_STEPS[language].map((step) => fill(step, values, "next steps")),
  };
}

function validated(request: ScaffoldRequest): ScaffoldRequest {
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(request.name))
    throw new ScaffoldError(
      `"${request.name}" cannot name a connector: use lower-case letters, digits and '-', starting with a letter (it names the package, the binary and the installed connector)`,
    );
  if (!(LANGUAGES as readonly string[]).includes(request.language))
    throw new ScaffoldError(`--lang must be one of ${LANGUAGES.join(", ")} (got "${request.language}")`);
  const protocols = offered()[request.language];
  if (!protocols.includes(request.protocol))
    throw new ScaffoldError(
      `there is no ${request.language} template for --protocol ${request.protocol}; ${request.language} offers: ${protocols.join(", ")}` +
        ` (every combination: ${LANGUAGES.map((l) => `${l}: ${offered()[l].join("|")}`).join("; ")})`,
    );
  return request;
}

function placeholders(request: ScaffoldRequest): Record<string, string> {
  return {
    name: request.name,
    goModule: request.goModule ?? `example.com/${request.name}`,
    sluiceRoot: packageRoot.replace(/\/$/, ""),
    codeclimateSdk: join(packageRoot, "dist/codeclimate-connector-sdk"),
    pythonPins: pythonPins(),
  };
}

/** The Python SDK's pinned runtime packages (its requirements without the code generator). */
function pythonPins(): string {
  return readFileSync(join(packageRoot, "sdk/python/requirements.txt"), "utf8")
    .split("\n")
    .filter((line) => line.trim() && !line.startsWith("#") && !line.startsWith("grpcio-tools"))
    .join("\n");
}

/** Replaces `{{key}}`; a placeholder without a value is a bug in the template, said as such. */
function fill(text: string, values: Record<string, string>, where: string): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in values)) throw new SluiceError("INTERNAL", `template ${where} uses {{${key}}}, which has no value`);
    return values[key];
  });
}

/** `gitignore` → `.gitignore`: a template's dotfiles are stored without the dot. */
const projectPath = (templatePath: string): string =>
  templatePath
    .split("/")
    .map((part) => (DOTFILES.has(part) ? `.${part}` : part))
    .join("/");

function walk(folder: string): string[] {
  return readdirSync(folder)
    .sort()
    .flatMap((entry) => {
      const path = join(folder, entry);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
}

const NEXT_STEPS: Record<Language, string[]> = {
  ts: ["npm install", "npm test", "then see README.md: sluice test, sluice connectors install ./manifest.json"],
  go: [
    "go mod tidy",
    "go build -o bin/{{name}} . && go test ./...",
    "then see README.md: sluice test, sluice connectors install ./manifest.json",
  ],
  python: [
    "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt",
    ".venv/bin/python -m unittest",
    "then see README.md: sluice test, sluice connectors install ./manifest.json",
  ],
};
