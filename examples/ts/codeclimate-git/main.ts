/**
 * Example Code Climate connector written against Sluice's package
 * (`sluice/codeclimate`, the same API as codeclimate-connector-sdk): the
 * commits of local git repositories. Config: {"repositories": ["/path", …]}.
 * Each repository is a Stream; a sync produces a Repository record and one
 * Commit record per commit since earliestDataCutoff, checkpointing the newest
 * commit it has produced.
 *   sluice codeclimate sync examples/ts/dist/codeclimate-git/main.js config.json
 */
import { execFileSync } from "node:child_process";
import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { AbstractClient, type ClientInterface, type Stream, type VerifyConfigurationResult } from "sluice/codeclimate";

const SEPARATOR = "\x1f";

function git(repository: string, ...args: string[]): string {
  return execFileSync("git", ["-C", repository, ...args], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
}

export class Client extends AbstractClient implements ClientInterface {
  private get repositories(): string[] {
    const value: unknown = this.configuration.get("repositories");
    return Array.isArray(value) ? value.map((path) => resolve(String(path))) : [];
  }

  async verifyConfiguration(): Promise<VerifyConfigurationResult> {
    const errorMessages: string[] = [];
    if (!this.repositories.length) errorMessages.push('"repositories" must list at least one git repository');
    for (const repository of this.repositories) {
      try {
        git(repository, "rev-parse", "--git-dir");
      } catch {
        errorMessages.push(`${repository} is not a git repository`);
      }
    }
    return { isValid: errorMessages.length === 0, errorMessages };
  }

  async discoverStreams(): Promise<void> {
    for (const repository of this.repositories) {
      this.recordProducer.produce({
        record: { _type: "Stream", id: repository, self: pathToFileURL(repository).href, name: basename(repository) },
      });
    }
  }

  async syncStream(stream: Stream, earliestDataCutoff: Date): Promise<void> {
    const repository = stream.id;
    const self = pathToFileURL(repository).href;
    this.recordProducer.produce({
      record: {
        _type: "Repository",
        id: repository,
        self,
        name: basename(repository),
        owner: { id: "local", type: "user", name: "local" },
      },
    });
    const log = git(
      repository,
      "log",
      `--since=${earliestDataCutoff.toISOString()}`,
      `--format=%H${SEPARATOR}%an${SEPARATOR}%ae${SEPARATOR}%aI${SEPARATOR}%P${SEPARATOR}%s`,
    );
    let newest: string | undefined;
    for (const line of log.split("\n").filter(Boolean)) {
      const [oid, name, email, authoredAt, parents, message] = line.split(SEPARATOR);
      newest ??= oid;
      const author = { _type: "Actor", id: email, self: `mailto:${email}`, name, email };
      this.recordProducer.produce({
        record: {
          _type: "Commit",
          id: oid,
          self: `${self}#${oid}`,
          oid,
          message,
          author,
          parents: parents ? parents.split(" ") : [],
          authoredAt,
        },
      });
    }
    this.logger.info(`${repository}: commits since ${earliestDataCutoff.toISOString().slice(0, 10)}`);
    if (newest) this.stateManager.set({ checkpointTime: new Date(), metadata: { newest } });
  }
}

export const Version = "0.1.0";
