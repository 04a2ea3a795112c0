"""The benchmark's Python generator as a Sluice connector (Python SDK): stream
``users`` keyed by ``id``, pages of 1,000. Options: {"count": N}."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from records import pages  # noqa: E402
from sluice_sdk import Connector, Spec, Stream, serve  # noqa: E402

SCHEMA = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"}, "city": {"type": "string"},
    "age": {"type": "integer"}, "score": {"type": "number"}, "active": {"type": "boolean"},
    "created_at": {"type": "string", "format": "date-time"}}}


class Generator(Connector):
    def spec(self):
        return Spec(name="pygen", version="0.1.0", description="deterministic users for the benchmark")

    def discover(self, options):
        return [Stream(name="users", json_schema=SCHEMA, primary_key=["id"])]

    def read(self, request, writer):
        count = json.loads(request.options or "{}").get("count", 1000)
        for page in pages(count):
            writer.write("users", page, estimated_total=count)


if __name__ == "__main__":
    serve(Generator())
