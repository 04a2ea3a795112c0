/**
 * Installing, updating, removing and finding connectors in the installation
 * home. Every install or update is planned first (the plan lists everything
 * that will run, for the user to confirm), then built in a new release
 * folder — fetched, then the manifest's command run there — and only then
 * swapped in by one row update in the index. Anything that fails or times
 * out leaves the release in use as it was.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { ConnectorProtocol } from "../drivers/protocols.js";
import { codeOf, messageOf, SluiceError } from "../errors.js";
import { DEFAULT_MAX_ENTRIES } from "./archive.js";
import { NotInstalledError, RegistryError } from "./errors.js";
import { httpFetcher } from "./fetch/http.js";
import { localFetcher } from "./fetch/local.js";
import type { FetchContext, Fetched, SourceFetcher } from "./fetch/types.js";
import { vcsFetcher } from "./fetch/vcs.js";
import { HomeLayout, sluiceHome } from "./home.js";
import { type Installation, InstallIndex } from "./install-index.js";
import { InstallLog } from "./install-log.js";
import { acquireLock } from "./lock.js";
import { checkName, type LoadedManifest, type Manifest, type Source } from "./manifest.js";
import { Deadline, runStep, shellStep, type Step } from "./run.js";

const fetchers: Record<Source, SourceFetcher> = { HTTP: httpFetcher, VCS: vcsFetcher, Local: localFetcher };

export interface Plan {
  action: "install" | "update";
  name: string;
  manifest: Manifest;
  origin: string;
  /** The release folder the source goes into and the commands run in. */
  folder: string;
  /** Everything that will happen, in order, as people read it. */
  steps: string[];
  /** The manifest's own commands among them. */
  commands: Step[];
  warnings: string[];
}

export interface RunOptions {
  timeoutSeconds: number;
  /** Largest download and largest unpacked archive, in bytes. */
  maxBytes: number;
  /** Receives command output as it arrives (the terminal). */
  echo: (text: string) => void;
  /** Aborting it (Ctrl-C) stops the install like a timeout does. */
  signal?: AbortSignal;
  /** Tells which protocol a built connector speaks (it starts it), for manifests that do not say. */
  detectProtocol?: (connector: Runnable) => Promise<ConnectorProtocol | undefined>;
}

export interface Outcome {
  action: "install" | "update";
  name: string;
  version?: string;
  folder: string;
  log: string;
  durationMs: number;
  /** Declared in the manifest or detected; undefined when neither. */
  protocol?: ConnectorProtocol;
}

/** What `sluice sync <name>` needs to start an installed connector. */
export interface Runnable {
  name: string;
  command: string;
  cwd: string;
  /** Recorded at install; undefined when it could not be told (then it is detected when run). */
  protocol?: ConnectorProtocol;
}

export interface InstallationDetails extends Installation {
  folder?: string;
  logText?: string;
}

/** An install or update that failed, keeping the code of what went wrong. */
export class InstallFailedError extends SluiceError {}

export class Registry {
  private constructor(
    readonly layout: HomeLayout,
    private readonly index: InstallIndex,
  ) {}

  static open(home: string = sluiceHome()): Registry {
    const layout = new HomeLayout(home);
    return new Registry(layout, InstallIndex.open(layout.indexFile));
  }

  get home(): string {
    return this.layout.root;
  }

  planInstall(loaded: LoadedManifest, nameOverride?: string): Plan {
    const name = nameOverride ?? loaded.manifest.name;
    if (nameOverride !== undefined) checkName(nameOverride, "--name");
    this.refuseIfInstalled(name);
    const manifest = loaded.manifest;
    const folder = this.newReleaseFolder(name);
    const commands = manifest.install_command ? [shellStep("install_command", manifest.install_command)] : [];
    const steps = [...fetchers[manifest.source].planInstall(manifest, folder), ...commands.map(describeCommand)];
    return {
      action: "install",
      name,
      manifest,
      origin: loaded.origin,
      folder,
      steps,
      commands,
      warnings: loaded.warnings,
    };
  }

  planUpdate(name: string): Plan {
    const installation = this.get(name);
    const current = this.currentFolder(installation);
    const { manifest } = installation;
    const folder = this.newReleaseFolder(name);
    const command = manifest.update_command ?? manifest.install_command;
    const commands = command
      ? [shellStep(manifest.update_command ? "update_command" : "install_command", command)]
      : [];
    const pull = manifest.update_command === undefined;
    const steps = [
      ...fetchers[manifest.source].planUpdate(manifest, current, folder, pull),
      ...commands.map(describeCommand),
    ];
    return { action: "update", name, manifest, origin: installation.origin, folder, steps, commands, warnings: [] };
  }

  async install(plan: Plan, options: RunOptions): Promise<Outcome> {
    return this.withLock(plan.name, () => {
      this.refuseIfInstalled(plan.name);
      return this.build(plan, options, (fetcher, context) => fetcher.fetch(plan.manifest, plan.folder, context));
    });
  }

  async update(plan: Plan, options: RunOptions): Promise<Outcome> {
    return this.withLock(plan.name, () => {
      const current = this.currentFolder(this.get(plan.name));
      const pull = plan.manifest.update_command === undefined;
      return this.build(plan, options, (fetcher, context) =>
        fetcher.fetchUpdate(plan.manifest, current, plan.folder, pull, context),
      );
    });
  }

  async remove(name: string): Promise<{ name: string; folder: string }> {
    return this.withLock(name, async () => {
      this.get(name);
      this.index.delete(name);
      const folder = this.layout.connectorDir(name);
      await rm(folder, { recursive: true, force: true });
      return { name, folder };
    });
  }

  list(): Installation[] {
    return this.index.list();
  }

  get(name: string): Installation {
    const installation = this.index.get(name);
    if (!installation)
      throw new NotInstalledError(
        name,
        this.home,
        this.index.list().map((i) => i.name),
      );
    return installation;
  }

  details(name: string): InstallationDetails {
    const installation = this.get(name);
    const folder = installation.release && this.layout.releaseDir(name, installation.release);
    const logText = installation.log ? readIfPresent(installation.log) : undefined;
    return { ...installation, folder, logText };
  }

  runnable(name: string): Runnable {
    const installation = this.get(name);
    return {
      name,
      command: installation.manifest.command,
      cwd: this.currentFolder(installation),
      protocol: installation.protocol,
    };
  }

  close(): void {
    this.index.close();
  }

  private async build(
    plan: Plan,
    options: RunOptions,
    fetchSource: (fetcher: SourceFetcher, context: FetchContext) => Promise<Fetched>,
  ): Promise<Outcome> {
    const { name, manifest, folder } = plan;
    const started = Date.now();
    const fetcher = fetchers[manifest.source];
    const log = InstallLog.create(this.layout.logsDir(name), plan.action, options.echo);
    const deadline = new Deadline(options.timeoutSeconds);
    const cancel = () =>
      deadline.cancel(
        options.signal?.reason instanceof Error
          ? options.signal.reason
          : new RegistryError("INSTALL_CANCELLED", "cancelled"),
      );
    options.signal?.addEventListener("abort", cancel, { once: true });
    const context: FetchContext = {
      log,
      signal: deadline.signal,
      limits: { maxBytes: options.maxBytes, maxEntries: DEFAULT_MAX_ENTRIES },
    };
    try {
      mkdirSync(dirname(folder), { recursive: true });
      log.note(
        `${plan.action} "${name}" from ${manifest.source} ${manifest.uri}${manifest.ref ? ` (ref ${manifest.ref})` : ""} into ${folder}`,
      );
      const fetched = await fetchSource(fetcher, context);
      for (const step of plan.commands) await runStep(step, { cwd: folder, log, signal: deadline.signal });
      const version = (await fetcher.versionAfter?.(folder)) ?? fetched.version ?? manifest.version;
      const protocol = await this.protocolOf({ name, command: manifest.command, cwd: folder }, manifest, options, log);
      this.index.recordSuccess({
        name,
        manifest,
        origin: plan.origin,
        release: releaseOf(folder),
        version,
        log: log.path,
        protocol,
      });
      log.outcome(
        `${plan.action} of "${name}" succeeded${version ? ` (version ${version})` : ""}; it runs with \`${manifest.command}\` in ${folder}`,
      );
      await this.pruneReleases(name, releaseOf(folder));
      return { action: plan.action, name, version, folder, log: log.path, durationMs: Date.now() - started, protocol };
    } catch (error) {
      const failure = this.describeFailure(plan, error, log.path);
      log.outcome(failure.message);
      await removeRelease(folder);
      this.index.recordFailure({ name, manifest, origin: plan.origin, error: messageOf(error), log: log.path });
      throw failure;
    } finally {
      options.signal?.removeEventListener("abort", cancel);
      deadline.dispose();
      log.close();
    }
  }

  /** The manifest's protocol, else the one the built connector answers to; noted in the log either way. */
  private async protocolOf(
    connector: Runnable,
    manifest: Manifest,
    options: RunOptions,
    log: InstallLog,
  ): Promise<ConnectorProtocol | undefined> {
    if (manifest.protocol) {
      log.note(`protocol: ${manifest.protocol} (declared in the manifest)`);
      return manifest.protocol;
    }
    const detected = await options.detectProtocol?.(connector);
    log.note(
      detected
        ? `protocol: ${detected} (detected by starting the connector)`
        : `protocol: not detected; \`sluice sync ${connector.name}\` will try again, or declare "protocol" in the manifest`,
    );
    return detected;
  }

  private describeFailure(plan: Plan, error: unknown, logPath: string): InstallFailedError {
    const previous = this.index.get(plan.name);
    const consequence = previous?.release
      ? `"${plan.name}" still runs the installation it had${previous.version ? ` (version ${previous.version})` : ""}`
      : "nothing was installed";
    return new InstallFailedError(
      codeOf(error, "INSTALL_FAILED"),
      `${plan.action} of "${plan.name}" failed: ${messageOf(error)}\n${consequence}; the full log is ${logPath}`,
      { cause: error },
    );
  }

  private refuseIfInstalled(name: string): void {
    const existing = this.index.get(name);
    if (!existing?.release) return;
    const { source, uri } = existing.manifest;
    throw new RegistryError(
      "CONNECTOR_EXISTS",
      `connector "${name}" is already installed (from ${source} ${uri}${existing.version ? `, version ${existing.version}` : ""}); ` +
        `update it with \`sluice connectors update ${name}\`, install this one under another name with --name <other>, or remove it first`,
    );
  }

  private currentFolder(installation: Installation): string {
    if (!installation.release) {
      throw new RegistryError(
        "CONNECTOR_NOT_READY",
        `connector "${installation.name}" has no working installation: its install failed (${firstLine(installation.error)}); ` +
          `see \`sluice connectors show ${installation.name}\`, then install it again`,
      );
    }
    return this.layout.releaseDir(installation.name, installation.release);
  }

  private newReleaseFolder(name: string): string {
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z");
    return this.layout.releaseDir(name, `${stamp}-${randomBytes(3).toString("hex")}`);
  }

  /** Everything in releases/ but the one in use: the one it replaced, and leftovers of interrupted installs. */
  private async pruneReleases(name: string, keep: string): Promise<void> {
    const dir = this.layout.releasesDir(name);
    for (const entry of readdirSync(dir)) {
      if (entry !== keep) await rm(join(dir, entry), { recursive: true, force: true });
    }
  }

  private async withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
    const release = acquireLock(this.layout.lockFile(name), name);
    try {
      return await work();
    } finally {
      release();
    }
  }
}

function describeCommand(step: Step): string {
  return `${step.label}: sh -c ${JSON.stringify(step.display)}`;
}

function releaseOf(folder: string): string {
  return basename(folder);
}

async function removeRelease(folder: string): Promise<void> {
  for (const path of [folder, `${folder}.download`, `${folder}.unpack`])
    await rm(path, { recursive: true, force: true });
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** The first line of an error, without the lead-in to the output quoted below it. */
function firstLine(text: string | undefined): string {
  return (text ?? "no error recorded").split("\n")[0].replace(/[;:]\s*the last lines of its output:$/, "");
}
