/**
 * Makes `codeclimate-connector-sdk` (and its `lib/*` paths) resolve to
 * Sluice's implementation inside the connector's process, for `require` and
 * `import` alike: no package of that name exists on the npm registry, and
 * published connectors must run unchanged.
 */
import Module, { register } from "node:module";
import { fileURLToPath } from "node:url";

const SDK = "codeclimate-connector-sdk";

export interface SdkTargets {
  /** URL of the SDK's index module. */
  index: string;
  /** URL of the test helpers (`codeclimate-connector-sdk/lib/TestHelpers`). */
  testHelpers: string;
}

function targetOf(specifier: string, targets: SdkTargets): string | undefined {
  if (specifier === SDK) return targets.index;
  if (!specifier.startsWith(`${SDK}/`)) return undefined;
  return /\/TestHelpers(\/index)?(\.js)?$/.test(specifier) ? targets.testHelpers : targets.index;
}

/** The ESM resolve hook, as source: hooks run on the loader thread, which loads them by URL. */
const ESM_HOOKS = `
const SDK = ${JSON.stringify(SDK)};
let targets;
export function initialize(data) { targets = data; }
export function resolve(specifier, context, next) {
  const target = (${targetOf.toString()})(specifier, targets);
  return target ? { url: target, shortCircuit: true } : next(specifier, context);
}`;

type ResolveFilename = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;

export function installSdkAliases(targets: SdkTargets): void {
  register(`data:text/javascript,${encodeURIComponent(ESM_HOOKS)}`, { data: targets });
  const loader = Module as unknown as { _resolveFilename: ResolveFilename };
  const original = loader._resolveFilename;
  loader._resolveFilename = function (this: unknown, request, parent, isMain, options) {
    const target = targetOf(request, targets);
    return target ? fileURLToPath(target) : original.call(this, request, parent, isMain, options);
  };
}
