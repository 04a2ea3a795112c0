/**
 * src/server/connectors — the installed connectors as the application sees
 * them: the same registry as `sluice connectors` (install plans confirmed
 * before anything runs, update, remove), and what a connector says about its
 * options (spec, check, discover), which the connection form is made from.
 *
 * May import: src/registry, src/engine, src/server/connections, src/errors.ts.
 */
import { randomUUID } from "node:crypto";
import {
  checkSource,
  OptionsError,
  openSource,
  prepareSource,
  type SourceDriver,
  type StreamDescriptor,
} from "../../engine/index.js";
import { messageOf, SluiceError } from "../../errors.js";
import type { Logger } from "../../logging.js";
import { type Installation, type Outcome, type Plan, parseManifest, Registry } from "../../registry/index.js";
import { secretPathsOf } from "../connections/form.js";
import { ServerError } from "../errors.js";

export interface ConnectorInfo {
  name: string;
  description: string | null;
  source: string;
  uri: string;
  command: string;
  version: string | null;
  status: string;
  installedAt: string | null;
  error: string | null;
}

export interface PlanInfo {
  planId: string;
  action: "install" | "update";
  name: string;
  description: string | null;
  source: string;
  uri: string;
  folder: string;
  steps: string[];
  command: string;
  warnings: string[];
  expiresAt: string;
}

export interface ConnectorSpecInfo {
  name: string;
  protocol: string;
  version: string;
  description: string;
  /** JSON Schema of the options, or null when the connector publishes none (free options). */
  optionsSchema: Record<string, unknown> | null;
  secretPaths: string[];
}

export interface CheckOutcome {
  ok: boolean;
  problems: string[];
}

/** How long a shown plan may be confirmed. */
const PLAN_TTL_MS = 10 * 60 * 1000;
const INSTALL_TIMEOUT_SECONDS = 600;
const INSTALL_MAX_BYTES = 1024 * 1024 * 1024;

export class ConnectorCatalog {
  private readonly plans = new Map<string, { plan: Plan; expires: number }>();
  private readonly specs = new Map<string, { key: string; spec: ConnectorSpecInfo }>();

  constructor(
    private readonly logger: Logger,
    /** The installation home (default $SLUICE_HOME). */
    private readonly home?: string,
  ) {}

  list(): ConnectorInfo[] {
    return this.withRegistry((registry) => registry.list().map(toInfo));
  }

  get(name: string): ConnectorInfo {
    return this.withRegistry((registry) => toInfo(registry.get(name)));
  }

  /** Plans an install from a manifest (JSON text or object, as pasted; or fetched from a URL by the caller). */
  planInstall(manifestText: string, origin: string, name?: string): PlanInfo {
    const loaded = parseManifest(manifestText, origin, process.cwd());
    return this.withRegistry((registry) => this.keep(registry.planInstall(loaded, name)));
  }

  planUpdate(name: string): PlanInfo {
    return this.withRegistry((registry) => this.keep(registry.planUpdate(name)));
  }

  /** Runs a plan the user confirmed: installs or updates. */
  async apply(planId: string, signal?: AbortSignal): Promise<Outcome & { output: string }> {
    const kept = this.plans.get(planId);
    if (!kept || kept.expires < Date.now())
      throw new ServerError("PLAN_NOT_FOUND", `no plan ${planId} (plans last 10 minutes): plan again`, "planId");
    this.plans.delete(planId);
    const registry = Registry.open(this.home);
    let output = "";
    try {
      const options = {
        timeoutSeconds: INSTALL_TIMEOUT_SECONDS,
        maxBytes: INSTALL_MAX_BYTES,
        echo: (text: string) => {
          output = (output + text).slice(-64 * 1024);
        },
        signal,
      };
      const outcome =
        kept.plan.action === "install"
          ? await registry.install(kept.plan, options)
          : await registry.update(kept.plan, options);
      this.specs.delete(kept.plan.name);
      this.logger.info(`connector "${kept.plan.name}" ${kept.plan.action === "install" ? "installed" : "updated"}`);
      return { ...outcome, output };
    } finally {
      registry.close();
    }
  }

  async remove(name: string): Promise<{ name: string; folder: string }> {
    const registry = Registry.open(this.home);
    try {
      const removed = await registry.remove(name);
      this.specs.delete(name);
      return removed;
    } finally {
      registry.close();
    }
  }

  /** The connector's Spec (cached per installed version): what the connection form is made from. */
  async spec(name: string): Promise<ConnectorSpecInfo> {
    const installation = this.withRegistry((registry) => registry.get(name));
    const key = `${installation.installedAt}|${installation.version}`;
    const cached = this.specs.get(name);
    if (cached?.key === key) return cached.spec;
    const spec = await this.withSource(name, async (driver) => {
      const s = await driver.spec();
      return {
        name,
        protocol: driver.protocol,
        version: s.version,
        description: s.description,
        optionsSchema: (s.optionsSchema as Record<string, unknown> | undefined) ?? null,
        secretPaths: secretPathsOf(s.optionsSchema),
      };
    });
    this.specs.set(name, { key, spec });
    return spec;
  }

  /** The options against the connector's schema, then its own Check (the engine's checkSource): every problem, for the form. */
  async check(name: string, options: string): Promise<CheckOutcome> {
    return this.withSource(name, async (driver) => {
      try {
        const { check } = await checkSource({ connector: name, driver, options });
        return { ok: check.ok, problems: check.errors };
      } catch (error) {
        if (error instanceof OptionsError) return { ok: false, problems: error.problems };
        throw error;
      }
    });
  }

  /** The streams the connector offers with these options, prepared as a sync prepares them (options and check first). */
  async discover(name: string, options: string): Promise<StreamDescriptor[]> {
    return this.withSource(name, async (driver) => (await prepareSource({ connector: name, driver, options })).streams);
  }

  private async withSource<T>(name: string, work: (driver: SourceDriver) => Promise<T>): Promise<T> {
    const { driver } = await openSource(
      { installed: name },
      { logger: this.logger.child({ connector: name }), home: this.home },
    );
    try {
      return await work(driver);
    } catch (error) {
      // A connector answering with an error of its own is the connector's failure, not the server's.
      if (error instanceof SluiceError) throw error;
      throw new ServerError("CONNECTOR_FAILED", `connector "${name}" failed: ${messageOf(error)}`);
    } finally {
      await driver.close();
    }
  }

  private keep(plan: Plan): PlanInfo {
    for (const [id, kept] of this.plans) if (kept.expires < Date.now()) this.plans.delete(id);
    const planId = randomUUID();
    const expires = Date.now() + PLAN_TTL_MS;
    this.plans.set(planId, { plan, expires });
    const { manifest } = plan;
    return {
      planId,
      action: plan.action,
      name: plan.name,
      description: manifest.description ?? null,
      source: manifest.source,
      uri: manifest.uri,
      folder: plan.folder,
      steps: plan.steps,
      command: manifest.command,
      warnings: plan.warnings,
      expiresAt: new Date(expires).toISOString(),
    };
  }

  private withRegistry<T>(work: (registry: Registry) => T): T {
    const registry = Registry.open(this.home);
    try {
      return work(registry);
    } finally {
      registry.close();
    }
  }
}

function toInfo(installation: Installation): ConnectorInfo {
  return {
    name: installation.name,
    description: installation.manifest.description ?? null,
    source: installation.manifest.source,
    uri: installation.manifest.uri,
    command: installation.manifest.command,
    version: installation.version ?? null,
    status: installation.status,
    installedAt: installation.installedAt ?? null,
    error: installation.error ?? null,
  };
}
