"""Example Sluice connector in Python: the commits of a local git repository.

Stream ``commits`` (primary key ``sha``), read with ``git log``. Incremental:
the last page checkpoints ``{"last_sha": <newest commit>}``; the next run reads
only ``last_sha..HEAD``.

Options (JSON): repo (required), page_size (500), max_commits.
"""
import json
import logging
import subprocess

from sluice_sdk import Connector, InvalidOptions, Spec, Stream, serve

log = logging.getLogger("gitlog")

FIELD_SEPARATOR = "\x1f"
RECORD_SEPARATOR = "\x1e"
FORMAT = FIELD_SEPARATOR.join(["%H", "%an", "%ae", "%aI", "%cn", "%cI", "%P", "%s"]) + RECORD_SEPARATOR

OPTIONS_SCHEMA = {
    "type": "object",
    "properties": {
        "repo": {"type": "string", "description": "path of a local git repository"},
        "page_size": {"type": "integer", "minimum": 1, "default": 500},
        "max_commits": {"type": "integer", "minimum": 1},
    },
    "required": ["repo"],
    "additionalProperties": False,
}

COMMIT_SCHEMA = {
    "type": "object",
    "properties": {
        "sha": {"type": "string"},
        "author_name": {"type": "string"},
        "author_email": {"type": "string"},
        "authored_at": {"type": "string", "format": "date-time"},
        "committer_name": {"type": "string"},
        "committed_at": {"type": "string", "format": "date-time"},
        "parents": {"type": "array", "items": {"type": "string"}},
        "subject": {"type": "string"},
    },
}


def parse_options(raw):
    try:
        options = json.loads(raw or "{}")
    except ValueError as error:
        raise InvalidOptions(f"options must be JSON: {error}")
    if not isinstance(options.get("repo"), str):
        raise InvalidOptions('option "repo" is required: the path of a git repository')
    return options


def git(repo, *args):
    return subprocess.run(["git", "-C", repo, *args], check=True, capture_output=True, text=True).stdout


def commits(repo, revision_range, limit):
    args = ["log", f"--format={FORMAT}"]
    if limit:
        args.append(f"--max-count={limit}")
    if revision_range:
        args.append(revision_range)
    for chunk in git(repo, *args).split(RECORD_SEPARATOR):
        fields = chunk.strip("\n").split(FIELD_SEPARATOR)
        if len(fields) != 8:
            continue
        sha, author, email, authored, committer, committed, parents, subject = fields
        yield {
            "sha": sha, "author_name": author, "author_email": email, "authored_at": authored,
            "committer_name": committer, "committed_at": committed,
            "parents": parents.split() if parents else [], "subject": subject,
        }


class GitLog(Connector):
    def spec(self):
        return Spec(name="gitlog", version="0.1.0", description="commits of a local git repository",
                    options_schema=OPTIONS_SCHEMA)

    def check(self, options):
        repo = parse_options(options)["repo"]
        try:
            git(repo, "rev-parse", "--git-dir")
        except (subprocess.CalledProcessError, FileNotFoundError):
            return [f'option "repo": {repo} is not a git repository']
        return []

    def discover(self, options):
        return [Stream(name="commits", json_schema=COMMIT_SCHEMA, primary_key=["sha"], cursor_field="committed_at",
                       sync_modes=["full_refresh", "incremental"])]

    def read(self, request, writer):
        options = parse_options(request.options)
        repo, page_size = options["repo"], options.get("page_size", 500)
        incremental = any(s.name == "commits" and s.sync_mode == "incremental" for s in request.streams)
        last_sha = (request.state or {}).get("last_sha") if incremental else None
        head = git(repo, "rev-parse", "HEAD").strip()
        revision_range = f"{last_sha}..{head}" if last_sha else head
        page, sent = [], 0
        for commit in commits(repo, revision_range, options.get("max_commits")):
            page.append(commit)
            if len(page) == page_size:
                writer.write("commits", page)
                sent += len(page)
                page = []
        sent += len(page)
        # The checkpoint rides on the last page: only once every commit is stored.
        writer.write("commits", page, checkpoint={"last_sha": head})
        log.info("read %d commits up to %s", sent, head[:12])


if __name__ == "__main__":
    serve(GitLog())
