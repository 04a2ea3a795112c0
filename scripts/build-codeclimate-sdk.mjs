// Builds dist/codeclimate-connector-sdk: Sluice's Code Climate SDK as the
// CommonJS package published connectors were written against. Run by
// `npm run build`, after tsc.
//
//   lib/sdk.js            one CommonJS bundle (esbuild) of src/sdk/codeclimate
//                         with Ajv inside, so the folder works wherever it is
//                         copied or linked (Jest 25 suites load it)
//   lib/index.js          require("codeclimate-connector-sdk")
//   lib/TestHelpers/      require("codeclimate-connector-sdk/lib/TestHelpers")
//   lib/<Module>.js       upstream's other lib/ paths, as the runner aliases them
//   lib/types/            the declarations (and those they import), down-levelled
//                         so TypeScript 3.8 (what these connectors pin) reads them
//   schemas/codeclimate   the record schemas the validator loads
import { build } from "esbuild";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist/codeclimate-connector-sdk");
const lib = join(out, "lib");
const sluice = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** The upstream API version these files implement (its last release). */
const UPSTREAM_VERSION = "0.0.2";
/** upstream's lib/ modules other than index and TestHelpers; each is the whole SDK here. */
const UPSTREAM_MODULES = ["Client", "Logger", "RecordProducer", "RecordValidator", "StateManager", "Stream"];

const write = (path, text) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};

rmSync(out, { recursive: true, force: true });

// The schema location is import.meta-relative in the ES module build; the bundle keeps its schemas beside it.
const schemaDirBesideBundle = {
  name: "schema-dir",
  setup(esbuild) {
    esbuild.onResolve({ filter: /\/schema-dir\.js$/ }, () => ({ path: "schema-dir", namespace: "sdk" }));
    esbuild.onLoad({ filter: /.*/, namespace: "sdk" }, () => ({
      contents: 'export const SCHEMA_DIR = require("path").join(__dirname, "../schemas/codeclimate/");',
      loader: "js",
    }));
  },
};

// Jest before 27 cannot load "node:" specifiers; the built-ins load by their bare names everywhere.
const bareBuiltins = {
  name: "bare-builtins",
  setup(esbuild) {
    esbuild.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path.slice("node:".length), external: true }));
  },
};

const bundled = await build({
  stdin: {
    contents: [
      'export * as index from "./src/sdk/codeclimate/index.ts";',
      'export * as TestHelpers from "./src/sdk/codeclimate/test-helpers.ts";',
    ].join("\n"),
    resolveDir: root,
    loader: "ts",
  },
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node18",
  outfile: join(lib, "sdk.js"),
  plugins: [schemaDirBesideBundle, bareBuiltins],
  metafile: true,
  logLevel: "warning",
});
cpSync(join(root, "schemas/codeclimate"), join(out, "schemas/codeclimate"), { recursive: true });
writeThirdPartyLicenses(Object.keys(bundled.metafile.inputs));

const entry = (path, from, name, types) => {
  write(join(lib, `${path}.js`), `"use strict";\nmodule.exports = require("${from}sdk.js").${name};\n`);
  write(join(lib, `${path}.d.ts`), `export * from "${types}";\n`);
};
entry("index", "./", "index", "./types/sdk/codeclimate/index");
entry("TestHelpers/index", "../", "TestHelpers", "../types/sdk/codeclimate/test-helpers");
for (const module of UPSTREAM_MODULES) entry(module, "./", "index", "./types/sdk/codeclimate/index");

// The SDK's declarations and every declaration they import, in dist's layout under lib/types.
const pending = ["sdk/codeclimate/index.d.ts", "sdk/codeclimate/test-helpers.d.ts"];
for (const done = new Set(); pending.length; ) {
  const file = pending.pop();
  if (done.has(file)) continue;
  done.add(file);
  const { text, imports } = downlevel(file, readFileSync(join(root, "dist", file), "utf8"));
  write(join(lib, "types", file), text);
  pending.push(...imports);
}

write(
  join(out, "package.json"),
  `${JSON.stringify(
    {
      name: "codeclimate-connector-sdk",
      version: UPSTREAM_VERSION,
      description: `codeclimate-connector-sdk's API as provided by Sluice ${sluice.version}: build and test Code Climate connectors against it`,
      license: sluice.license,
      main: "lib/index.js",
      types: "lib/index.d.ts",
    },
    null,
    2,
  )}\n`,
);
write(
  join(out, "README.md"),
  `# codeclimate-connector-sdk, provided by Sluice ${sluice.version}

The API of Code Climate's connector SDK (${UPSTREAM_VERSION}), which is not published on
the npm registry, built from Sluice: \`AbstractClient\`, \`Stream\`, \`Logger\`,
\`RecordProducerFacade\` (validating records against Sluice's schemas), the
test helpers in \`lib/TestHelpers\`, CommonJS, with declarations TypeScript 3.8
reads. Connectors built and tested against it run under \`sluice codeclimate\`.
See Sluice's docs/codeclimate.md.
`,
);

/** The license of every npm package inside the bundle, in THIRD_PARTY_LICENSES. */
function writeThirdPartyLicenses(inputs) {
  const packages = new Set(inputs.map((input) => input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//)?.[1]));
  packages.delete(undefined);
  const sections = [...packages].sort().map((name) => {
    const folder = join(root, "node_modules", name);
    const license = readdirSync(folder).find((file) => /^licen[sc]e/i.test(file));
    if (!license) throw new Error(`build-codeclimate-sdk: ${name} is bundled but has no license file`);
    return `${name}\n\n${readFileSync(join(folder, license), "utf8").trim()}\n`;
  });
  write(join(out, "THIRD_PARTY_LICENSES"), `Packages bundled in lib/sdk.js:\n\n${sections.join("\n---\n\n")}`);
}

/**
 * Rewrites what TypeScript before 4.5 cannot read in a declaration file:
 * inline `type` modifiers in import and export lists (split into a type-only
 * and a value list), `abstract new (…) => T` constructor types (4.2; the
 * modifier is dropped), and `.js` extensions on relative module paths.
 * Returns the text and the declaration files it imports (paths under dist).
 */
function downlevel(fileName, text) {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const f = ts.factory;
  const imported = [];
  const specifier = (node) => {
    if (!node || !ts.isStringLiteral(node) || !node.text.startsWith(".")) return node;
    const path = node.text.replace(/\.js$/, "");
    imported.push(`${posix.join(posix.dirname(fileName), path)}.d.ts`);
    return f.createStringLiteral(path);
  };
  const split = (elements) => [elements.filter((e) => e.isTypeOnly), elements.filter((e) => !e.isTypeOnly)];
  const importDeclaration = (node) => {
    const named = node.importClause?.namedBindings;
    const moduleSpecifier = specifier(node.moduleSpecifier);
    if (!named || !ts.isNamedImports(named) || !named.elements.some((e) => e.isTypeOnly))
      return f.updateImportDeclaration(node, node.modifiers, node.importClause, moduleSpecifier, node.attributes);
    const [types, values] = split(named.elements);
    const plain = (list) => list.map((e) => f.createImportSpecifier(false, e.propertyName, e.name));
    const declaration = (typeOnly, defaultName, list) =>
      f.createImportDeclaration(
        undefined,
        f.createImportClause(typeOnly, defaultName, list.length ? f.createNamedImports(plain(list)) : undefined),
        moduleSpecifier,
      );
    return [
      declaration(true, undefined, types),
      ...(values.length || node.importClause.name ? [declaration(false, node.importClause.name, values)] : []),
    ];
  };
  const exportDeclaration = (node) => {
    const named = node.exportClause;
    const moduleSpecifier = specifier(node.moduleSpecifier);
    if (!named || !ts.isNamedExports(named) || !named.elements.some((e) => e.isTypeOnly))
      return f.updateExportDeclaration(
        node,
        node.modifiers,
        node.isTypeOnly,
        node.exportClause,
        moduleSpecifier,
        node.attributes,
      );
    const plain = (list) => list.map((e) => f.createExportSpecifier(false, e.propertyName, e.name));
    return split(named.elements)
      .map((list, index) =>
        list.length
          ? f.createExportDeclaration(undefined, index === 0, f.createNamedExports(plain(list)), moduleSpecifier)
          : undefined,
      )
      .filter(Boolean);
  };
  const transformer = (context) => {
    const visit = (node) => {
      if (ts.isImportDeclaration(node)) return importDeclaration(node);
      if (ts.isExportDeclaration(node)) return exportDeclaration(node);
      if (ts.isConstructorTypeNode(node) && node.modifiers?.length)
        return f.updateConstructorTypeNode(
          node,
          undefined,
          node.typeParameters,
          ts.visitNodes(node.parameters, visit),
          ts.visitNode(node.type, visit),
        );
      return ts.visitEachChild(node, visit, context);
    };
    return (file) => ts.visitNode(file, visit);
  };
  const [result] = ts.transform(source, [transformer]).transformed;
  return { text: ts.createPrinter().printFile(result), imports: imported };
}
