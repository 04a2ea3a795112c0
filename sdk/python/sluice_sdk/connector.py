"""The connector API and its mapping onto sluice.v1.Connector."""
from __future__ import annotations

import json
import queue
import threading
from dataclasses import dataclass, field
from typing import Any, Iterator, List, Optional

import grpc
from sluice.v1 import connector_pb2 as pb
from sluice.v1 import connector_pb2_grpc as pb_grpc

FULL_REFRESH = "full_refresh"
INCREMENTAL = "incremental"
_WIRE_MODES = {FULL_REFRESH: pb.SYNC_MODE_FULL_REFRESH, INCREMENTAL: pb.SYNC_MODE_INCREMENTAL}


class InvalidOptions(Exception):
    """Raise for bad options: reported to the host as INVALID_ARGUMENT."""


@dataclass
class Spec:
    name: str
    version: str
    description: str = ""
    options_schema: Optional[dict] = None


@dataclass
class Stream:
    name: str
    json_schema: dict
    primary_key: List[str] = field(default_factory=list)
    cursor_field: str = ""
    sync_modes: List[str] = field(default_factory=lambda: [FULL_REFRESH])


@dataclass
class StreamSelection:
    name: str
    sync_mode: str


@dataclass
class ReadRequest:
    options: str
    streams: List[StreamSelection]
    state: Any  # the last checkpointed state (parsed JSON), None on a first run


class Connector:
    """Override spec, discover and read; check is optional."""

    def spec(self) -> Spec:
        raise NotImplementedError

    def check(self, options: str) -> List[str]:
        """Problems with the options, each naming the option; empty when fine."""
        return []

    def discover(self, options: str) -> List[Stream]:
        raise NotImplementedError

    def read(self, request: ReadRequest, writer: "PageWriter") -> None:
        raise NotImplementedError


class _Cancelled(Exception):
    pass


class PageWriter:
    """Sends pages to the host. ``write`` blocks while the host is busy
    (a bounded queue in front of gRPC flow control)."""

    def __init__(self, out: "queue.Queue", cancelled: threading.Event):
        self._out = out
        self._cancelled = cancelled

    def write(self, stream: str, records: List[dict], checkpoint: Any = None, estimated_total: int = 0) -> None:
        page = pb.Page(stream=stream, json=pb.JsonRecords(array=json.dumps(records, default=str).encode()),
                       estimated_total=estimated_total)
        if checkpoint is not None:
            page.checkpoint.state = json.dumps(checkpoint)
        self._send(pb.ReadResponse(page=page))

    def checkpoint(self, state: Any) -> None:
        self._send(pb.ReadResponse(checkpoint=pb.Checkpoint(state=json.dumps(state))))

    def _send(self, message: pb.ReadResponse) -> None:
        while True:
            if self._cancelled.is_set():
                raise _Cancelled()
            try:
                self._out.put(message, timeout=0.2)
                return
            except queue.Full:
                continue


_DONE = object()


class ConnectorServicer(pb_grpc.ConnectorServicer):
    def __init__(self, connector: Connector):
        self._connector = connector

    def Spec(self, request, context):
        spec = self._call(context, self._connector.spec)
        schema = json.dumps(spec.options_schema) if spec.options_schema is not None else ""
        return pb.SpecResponse(name=spec.name, version=spec.version, description=spec.description, options_schema=schema)

    def Check(self, request, context):
        errors = self._call(context, self._connector.check, request.options)
        return pb.CheckResponse(ok=not errors, errors=errors)

    def Discover(self, request, context):
        streams = self._call(context, self._connector.discover, request.options)
        return pb.DiscoverResponse(streams=[
            pb.Stream(name=s.name, json_schema=json.dumps(s.json_schema), primary_key=s.primary_key,
                      cursor_field=s.cursor_field, sync_modes=[_WIRE_MODES[m] for m in s.sync_modes])
            for s in streams
        ])

    def Read(self, request, context) -> Iterator[pb.ReadResponse]:
        read = ReadRequest(
            options=request.options,
            streams=[StreamSelection(s.name, INCREMENTAL if s.sync_mode == pb.SYNC_MODE_INCREMENTAL else FULL_REFRESH)
                     for s in request.streams],
            state=json.loads(request.state) if request.state else None,
        )
        out: "queue.Queue" = queue.Queue(maxsize=4)
        cancelled = threading.Event()
        context.add_callback(cancelled.set)
        failure: List[BaseException] = []

        def produce():
            try:
                self._connector.read(read, PageWriter(out, cancelled))
            except _Cancelled:
                pass
            except BaseException as error:  # reported to the host below
                failure.append(error)
            finally:
                while not cancelled.is_set():
                    try:
                        out.put(_DONE, timeout=0.2)
                        break
                    except queue.Full:
                        continue

        threading.Thread(target=produce, name="sluice-read", daemon=True).start()
        while True:
            message = out.get()
            if message is _DONE:
                break
            yield message
        if failure:
            _abort(context, failure[0])

    @staticmethod
    def _call(context, method, *args):
        try:
            return method(*args)
        except Exception as error:
            _abort(context, error)


def _abort(context, error: BaseException):
    code = grpc.StatusCode.INVALID_ARGUMENT if isinstance(error, InvalidOptions) else grpc.StatusCode.INTERNAL
    context.abort(code, str(error) or type(error).__name__)
