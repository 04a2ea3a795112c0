"""The plugin half of HashiCorp go-plugin's protocol, in Python: check the
magic cookie and the protocol version, serve on a unix socket (health
"plugin", controller, broker and the connector), print the handshake line."""
from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import threading
import time
from concurrent import futures
from datetime import datetime, timezone

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from plugin import grpc_broker_pb2_grpc, grpc_controller_pb2, grpc_controller_pb2_grpc
from sluice.v1 import connector_pb2_grpc

from .connector import Connector, ConnectorServicer

MAGIC_COOKIE_KEY = "SLUICE_PLUGIN"
MAGIC_COOKIE_VALUE = "7c3e1f5a9b2d4e6f8a0c1b3d5e7f9a2c"
APP_PROTOCOL_VERSION = 1
NOT_A_PLUGIN = ("This binary is a plugin. These are not meant to be executed directly. "
                "Please execute the program that consumes these plugins, which will load any plugins automatically")
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


class HclogFormatter(logging.Formatter):
    """JSON lines with hclog's keys, so the host shows them as structured logs."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "@level": {"WARNING": "warn", "CRITICAL": "error"}.get(record.levelname, record.levelname.lower()),
            "@message": record.getMessage(),
            "@timestamp": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "@module": record.name,
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def _refuse(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.exit(1)


class _Controller(grpc_controller_pb2_grpc.GRPCControllerServicer):
    def __init__(self, stop):
        self._stop = stop

    def Shutdown(self, request, context):
        threading.Thread(target=self._stop, daemon=True).start()
        return grpc_controller_pb2.Empty()


class _Broker(grpc_broker_pb2_grpc.GRPCBrokerServicer):
    """Python connectors offer no callbacks: keep the host's stream open and drain it. go-plugin
    hosts keep it open until they stop the plugin, so its end means the host is gone."""

    def __init__(self, host_gone):
        self._host_gone = host_gone

    def StartStream(self, request_iterator, context):
        try:
            for _ in request_iterator:
                pass
        except grpc.RpcError:
            pass  # the connection broke: the host died
        self._host_gone("the host closed the broker stream")
        return iter(())


RUN_ID_VARIABLE = "SLUICE_RUN_ID"


def _stat_fields(pid: int) -> list[str] | None:
    """Fields 3 onwards of /proc/<pid>/stat (the command name, field 2, may hold spaces)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as stat:
            text = stat.read()
    except OSError:
        return None
    return text[text.rfind(")") + 2:].split()


def _start_ticks(pid: int) -> str | None:
    """When pid started, in clock ticks since boot; None when it is not running (a zombie has ended)."""
    fields = _stat_fields(pid)
    if not fields or len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return fields[19]


def _is_ancestor(pid: int) -> bool:
    current = os.getppid()
    while current > 1:
        if current == pid:
            return True
        fields = _stat_fields(current)
        if not fields:
            return False
        current = int(fields[1])
    return False


def _starting_sluice() -> tuple[int, str] | None:
    """The Sluice process named in SLUICE_RUN_ID ("<pid>-<start ticks>"), to be watched when it is an
    ancestor or has already ended: a host killed between the launch and this look leaves no trace in the
    process tree, and only a Sluice that has since ended can have named a process that no longer runs. A
    running process that is no ancestor is some other program's value, inherited; without /proc, None."""
    pid_text, _, ticks = os.environ.get(RUN_ID_VARIABLE, "").partition("-")
    if not pid_text.isdigit() or not ticks.isdigit() or int(pid_text) <= 1 or _start_ticks(os.getpid()) is None:
        return None
    pid = int(pid_text)
    return (pid, ticks) if _start_ticks(pid) != ticks or _is_ancestor(pid) else None


def _watch_process_tree(host_gone) -> None:
    """Before the host has connected, only the process tree can tell it is gone: an orphan is adopted, and,
    behind `sh -c` (a wrapper that outlives a killed host), the Sluice process named in SLUICE_RUN_ID ends."""
    parent = os.getppid()
    sluice = _starting_sluice()

    def watch():
        while True:
            if os.getppid() != parent:
                return host_gone(f"its parent process (pid {parent}) has ended")
            if sluice and _start_ticks(sluice[0]) != sluice[1]:
                return host_gone(f"the Sluice process that started it (pid {sluice[0]}) has ended")
            time.sleep(1)

    threading.Thread(target=watch, name="sluice-host-watch", daemon=True).start()


def serve(connector: Connector) -> None:
    """Run ``connector`` as a go-plugin plugin until the host stops it."""
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        _refuse(NOT_A_PLUGIN)
    offered = [v.strip() for v in os.environ.get("PLUGIN_PROTOCOL_VERSIONS", str(APP_PROTOCOL_VERSION)).split(",")]
    if str(APP_PROTOCOL_VERSION) not in offered:
        _refuse(f"Incompatible API version with plugin. Plugin version: {APP_PROTOCOL_VERSION}, host versions: {','.join(offered)}")

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(HclogFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)

    options = [("grpc.max_send_message_length", MAX_MESSAGE_BYTES), ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8), options=options)
    health_servicer = health.HealthServicer()
    health_servicer.set("plugin", health_pb2.HealthCheckResponse.SERVING)
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    stopped = threading.Event()

    def stop():
        server.stop(grace=0.5).wait()
        stopped.set()

    def host_gone(reason: str) -> None:
        # A host killed with `kill -9` cannot call Shutdown: without this the plugin would run forever.
        if not stopped.is_set():
            logging.getLogger("sluice").info("the host is gone, so the plugin exits (%s)", reason)
            threading.Thread(target=stop, daemon=True).start()

    _watch_process_tree(host_gone)
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(_Controller(stop), server)
    grpc_broker_pb2_grpc.add_GRPCBrokerServicer_to_server(_Broker(host_gone), server)
    connector_pb2_grpc.add_ConnectorServicer_to_server(ConnectorServicer(connector), server)

    client_cert = os.environ.get("PLUGIN_CLIENT_CERT")
    identity = None
    if client_cert:
        from .mtls import Identity  # only AutoMTLS needs the cryptography package

        identity = Identity()
    credentials = identity.server_credentials(client_cert) if identity else None
    address = _listen(server, credentials, mutual=identity is not None and identity.requires_client_cert)
    server.start()
    sys.stdout.write(f"1|{APP_PROTOCOL_VERSION}|{address}|grpc|{identity.handshake_field if identity else ''}\n")
    sys.stdout.flush()
    # Stdout belongs to the handshake: anything printed later goes to stderr.
    sys.stdout = sys.stderr
    try:
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        # The host owns our lifetime: Ctrl-C reaches it, and it stops us.
        stopped.wait()
    os._exit(0)


def _listen(server: grpc.Server, credentials=None, mutual=False) -> str:
    """A unix socket in PLUGIN_UNIX_SOCKET_DIR (or a temp dir), in a folder only our user can enter. TCP only
    when that fails and the host's AutoMTLS lets us require its certificate: a TCP port on 127.0.0.1 is open to
    every local user, and the connector's options (passwords) travel over it."""
    def add(address):
        return server.add_secure_port(address, credentials) if credentials else server.add_insecure_port(address)

    socket_dir = tempfile.mkdtemp(prefix="plugin", dir=os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or None)
    path = os.path.join(socket_dir, "plugin.sock")
    try:
        add(f"unix:{path}")
        return f"unix|{path}"
    except RuntimeError as error:
        if not mutual:
            _refuse(f"cannot serve on the unix socket {path} ({error}), and refusing to serve on TCP without AutoMTLS: "
                    "a TCP port is open to every local user; run the host with AutoMTLS (sluice --auto-mtls) "
                    "or give it a shorter PLUGIN_UNIX_SOCKET_DIR")
        low = int(os.environ.get("PLUGIN_MIN_PORT", "10000"))
        high = int(os.environ.get("PLUGIN_MAX_PORT", "25000"))
        for port in range(low, high + 1):
            try:
                if add(f"127.0.0.1:{port}"):
                    logging.getLogger("sluice_sdk").warning(
                        "cannot serve on the unix socket %s; serving on TCP 127.0.0.1:%d with mutual TLS", path, port)
                    return f"tcp|127.0.0.1:{port}"
            except RuntimeError:
                time.sleep(0)
        raise RuntimeError(f"no free TCP port in {low}-{high}")
