"""The {{name}} connector.

Edit ``spec`` (name, version, the JSON Schema of the options), ``check``
(problems, each naming the option), ``discover`` (streams and the JSON Schema
of their records) and ``read`` (fetch from your system, write pages,
checkpoint the state).

As generated it reads ``count`` numbered items, ``page_size`` per page, and
checkpoints the last id, so the next run reads only newer items.
"""
import json

from sluice_sdk import Connector, InvalidOptions, Spec, Stream

STREAM = "items"

OPTIONS_SCHEMA = {
    "type": "object",
    "properties": {
        "count": {"type": "integer", "minimum": 0, "default": 100, "description": "how many items there are"},
        "page_size": {"type": "integer", "minimum": 1, "default": 25, "description": "items per page"},
    },
    "additionalProperties": False,
}

ITEM_SCHEMA = {
    "type": "object",
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
    "required": ["id", "name"],
}


def parse_options(raw):
    """The options with their defaults, and every problem, each naming the option."""
    try:
        given = json.loads(raw) if raw and raw.strip() else {}
    except ValueError as error:
        return None, [f"the options are not JSON: {error}"]
    if not isinstance(given, dict):
        return None, ["the options must be a JSON object"]
    options = {"count": 100, "page_size": 25, **given}
    problems = [f'option "{key}": unknown' for key in given if key not in OPTIONS_SCHEMA["properties"]]
    if not isinstance(options["count"], int) or options["count"] < 0:
        problems.append('option "count": must be an integer, 0 or more')
    if not isinstance(options["page_size"], int) or options["page_size"] < 1:
        problems.append('option "page_size": must be an integer, 1 or more')
    return (None if problems else options), problems


def items_after(last_id, options):
    """The items after ``last_id``: replace with what your system returns."""
    return [{"id": n, "name": f"item {n}"} for n in range(last_id + 1, options["count"] + 1)]


class ItemsConnector(Connector):
    def spec(self):
        return Spec(name="{{name}}", version="0.1.0", description="{{name}} connector", options_schema=OPTIONS_SCHEMA)

    def check(self, options):
        return parse_options(options)[1]

    def discover(self, options):
        return [Stream(name=STREAM, json_schema=ITEM_SCHEMA, primary_key=["id"], cursor_field="id",
                       sync_modes=["full_refresh", "incremental"])]

    def read(self, request, writer):
        options, problems = parse_options(request.options)
        if problems:
            raise InvalidOptions("; ".join(problems))
        incremental = any(s.name == STREAM and s.sync_mode == "incremental" for s in request.streams)
        last_id = (request.state or {}).get("last_id", 0) if incremental else 0
        items = items_after(last_id, options)
        size = options["page_size"]
        for start in range(0, len(items), size):
            page = items[start:start + size]
            writer.write(STREAM, page, checkpoint={"last_id": page[-1]["id"]}, estimated_total=len(items))
