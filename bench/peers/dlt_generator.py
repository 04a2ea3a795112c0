"""The same users into SQLite through dlt, merged on the primary key
(write_disposition="merge", its SQLAlchemy destination). Prints one JSON line."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dlt  # noqa: E402
from records import pages  # noqa: E402

count, db, work = int(sys.argv[1]), sys.argv[2], sys.argv[3]


@dlt.resource(name="users", primary_key="id", write_disposition="merge")
def users():
    yield from pages(count)


started = time.perf_counter()
pipeline = dlt.pipeline(pipeline_name="bench", pipelines_dir=work,
                        destination=dlt.destinations.sqlalchemy(f"sqlite:///{db}"), dataset_name="main")
info = pipeline.run(users())
print(json.dumps({"seconds": time.perf_counter() - started, "records": count}))
