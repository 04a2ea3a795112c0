/**
 * VCS sources, with the `git` command (so every URL git accepts works:
 * https, ssh, file://, a local path; credentials are git's own, and git is
 * told never to prompt). A `ref` (branch, tag or commit) pins what is checked
 * out; without one, the repository's default branch.
 *
 * An update never touches the release in use: it clones that release
 * locally (cheap: git hard-links the objects), points `origin` back at the
 * manifest's uri, and pulls there — `git pull --ff-only` on the default
 * branch; with a `ref`, a fetch and a checkout (a branch moves to its new
 * tip, a tag follows the tag, a commit stays). The commit is recorded.
 */
import { dirname } from "node:path";
import { queryOutput } from "../../process/index.js";
import { FetchError } from "../errors.js";
import type { Manifest } from "../manifest.js";
import { runStep, type Step } from "../run.js";
import type { Fetched, FetchContext, SourceFetcher } from "./types.js";

export const vcsFetcher: SourceFetcher = {
  planInstall: (manifest, dir) =>
    [cloneStep(manifest.uri, dir), ...(manifest.ref ? [checkoutDisplay(manifest.ref)] : [])].map(display),
  planUpdate: (manifest, current, dir, pull) =>
    [...localCloneSteps(manifest, current, dir), ...(pull ? pullSteps(manifest) : [])].map(display),

  async fetch(manifest, dir, context) {
    await runGit(cloneStep(manifest.uri, dir), context, dirname(dir));
    if (manifest.ref) await checkoutRef(manifest, dir, context);
    return {};
  },

  async fetchUpdate(manifest, current, dir, pull, context): Promise<Fetched> {
    const [clone, setUrl] = localCloneSteps(manifest, current, dir);
    await runGit(clone, context, dirname(dir));
    await runGit(setUrl, context, dir);
    if (!pull) return {};
    if (!manifest.ref) await runGit(pullSteps(manifest)[0], context, dir);
    else {
      await runGit(fetchTagsStep(), context, dir);
      await checkoutRef(manifest, dir, context);
    }
    return {};
  },

  async versionAfter(dir) {
    return (await gitOutput(dir, ["rev-parse", "HEAD"])) ?? undefined;
  },
};

function git(label: string, ...args: string[]): Step {
  return { label, argv: ["git", ...args], display: `git ${args.join(" ")}` };
}

function cloneStep(uri: string, dir: string): Step {
  return git("git clone", "clone", "--", uri, dir);
}

function localCloneSteps(manifest: Manifest, current: string, dir: string): Step[] {
  return [
    git("git clone", "clone", "--quiet", "--", current, dir),
    git("git remote", "remote", "set-url", "origin", manifest.uri),
  ];
}

function pullSteps(manifest: Manifest): Step[] {
  return manifest.ref ? [fetchTagsStep(), checkoutDisplay(manifest.ref)] : [git("git pull", "pull", "--ff-only")];
}

function fetchTagsStep(): Step {
  return git("git fetch", "fetch", "--tags", "--force", "origin");
}

/** How the checkout of a ref is shown in the plan: the exact target is known only after the fetch. */
function checkoutDisplay(ref: string): Step {
  return git("git checkout", "checkout", "--detach", `${ref} (origin/${ref} if it is a branch)`);
}

/** A branch means its tip on origin (so an update moves it); anything else (a tag, a commit) as it is. */
async function checkoutRef(manifest: Manifest, dir: string, context: FetchContext): Promise<void> {
  const ref = manifest.ref ?? "HEAD";
  const branch = `origin/${ref}`;
  const target = (await gitOutput(dir, ["rev-parse", "--verify", "--quiet", `refs/remotes/${branch}^{commit}`]))
    ? branch
    : ref;
  if (!(await gitOutput(dir, ["rev-parse", "--verify", "--quiet", `${target}^{commit}`]))) {
    throw new FetchError(`"ref": ${JSON.stringify(ref)} is not a branch, tag or commit of ${manifest.uri}`);
  }
  await runGit(git("git checkout", "checkout", "--quiet", "--detach", target, "--"), context, dir);
}

async function runGit(step: Step, context: FetchContext, cwd: string): Promise<void> {
  await runStep(step, { cwd, log: context.log, signal: context.signal });
}

async function gitOutput(dir: string, args: string[]): Promise<string | null> {
  const { status, stdout } = await queryOutput(["git", ...args], { name: "git", cwd: dir });
  return status.code === 0 ? stdout.trim() || null : null;
}

function display(step: Step): string {
  return step.display;
}
