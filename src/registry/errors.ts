/**
 * The typed errors of installing connectors. Each message says what is wrong,
 * where (the manifest field, the URL, the command, the archive entry) and what
 * to do; the `code` is stable for `--json` output and tests.
 */
import { SluiceError } from "../errors.js";

/** The manifest cannot be read, is not JSON, or breaks the schema. */
export class ManifestError extends SluiceError {
  constructor(
    origin: string,
    readonly problems: string[],
  ) {
    const body = problems.length === 1 ? ` ${problems[0]}` : `\n${problems.map((p) => `  - ${p}`).join("\n")}`;
    super("MANIFEST_INVALID", `manifest ${origin} is invalid:${body}`);
  }
}

/** Fetching the source failed: a download, a git command, a local path. */
export class FetchError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("FETCH_FAILED", message, options);
  }
}

/** An HTTP answer that is not a success, with its status. */
export class HttpStatusError extends SluiceError {
  constructor(
    readonly url: string,
    readonly status: number,
    statusText: string,
    /** What the URL came from, for the reader to check. */
    from = `the URL in the manifest's "uri"`,
  ) {
    super("HTTP_STATUS", `GET ${url} answered HTTP ${status}${statusText ? ` ${statusText}` : ""}; check ${from}`);
  }
}

export class ChecksumError extends SluiceError {
  constructor(url: string, expected: string, actual: string) {
    super(
      "CHECKSUM_MISMATCH",
      `sha256 of ${url} is ${actual}, but the manifest's "sha256" says ${expected}: ` +
        "the file is not the one the manifest describes (changed upstream, or a wrong checksum); nothing was installed",
    );
  }
}

/** An archive entry that would land outside the install folder, or too much data. */
export class UnsafeArchiveError extends SluiceError {
  constructor(archive: string, problem: string) {
    super("ARCHIVE_UNSAFE", `refusing to unpack ${archive}: ${problem}; nothing was installed`);
  }
}

/** An install, update or git command that exited non-zero, or ran out of time. */
export class CommandFailedError extends SluiceError {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly outputTail: string,
  ) {
    super("COMMAND_FAILED", message);
  }
}

export class InstallTimeoutError extends SluiceError {
  constructor(what: string, seconds: number) {
    super("INSTALL_TIMEOUT", `${what} did not finish within ${seconds} s (--timeout); it was stopped`);
  }
}

export class NotInstalledError extends SluiceError {
  constructor(name: string, home: string, installed: string[]) {
    const known = installed.length > 0 ? `installed: ${installed.join(", ")}` : "none is installed";
    super(
      "CONNECTOR_NOT_INSTALLED",
      `no connector named "${name}" is installed in ${home} (${known}); ` +
        "install one with `sluice connectors install <manifest.json>`, or run a command with --command",
    );
  }
}

export class RegistryError extends SluiceError {}
