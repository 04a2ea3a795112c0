"""The same users through dlt, merged on the primary key (write_disposition="merge"),
into the destination Sluice writes to in the same run:
  duckdb <file> | postgres <url without password; PGPASSWORD holds it> | sqlite <file>
Prints one JSON line."""
import json
import os
import sys
import time
from urllib.parse import quote, urlsplit, urlunsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dlt  # noqa: E402
from records import pages  # noqa: E402

count, kind, location, work = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


def with_password(url):
    """dlt's PostgreSQL credentials want the password in the connection string;
    it comes from PGPASSWORD so that it never shows in this process's argv."""
    parts = urlsplit(url)
    netloc = f"{parts.username}:{quote(os.environ['PGPASSWORD'], safe='')}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def destination():
    if kind == "duckdb":
        return dlt.destinations.duckdb(location)
    if kind == "postgres":
        return dlt.destinations.postgres(with_password(location))
    if kind == "sqlite":
        return dlt.destinations.sqlalchemy(f"sqlite:///{location}")
    raise SystemExit(f"unknown destination {kind}")


@dlt.resource(name="users", primary_key="id", write_disposition="merge")
def users():
    yield from pages(count)


started = time.perf_counter()
pipeline = dlt.pipeline(pipeline_name=f"bench_{kind}", pipelines_dir=work,
                        destination=destination(), dataset_name="main" if kind == "sqlite" else "bench")
info = pipeline.run(users())
print(json.dumps({"seconds": time.perf_counter() - started, "records": count}))
