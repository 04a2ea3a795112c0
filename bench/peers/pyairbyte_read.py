"""PyAirbyte reading airbyte-source-faker's users into its default local cache
(DuckDB), with the same executable Sluice runs. Prints one JSON line."""
import json
import sys
import time

import airbyte as ab

executable, config = sys.argv[1], json.loads(sys.argv[2])
started = time.perf_counter()
source = ab.get_source("source-faker", config=config, local_executable=executable)
source.select_streams(["users"])
result = source.read()
records = len(result["users"])
print(json.dumps({"seconds": time.perf_counter() - started, "records": records}))
