"""The Python SDK's own tests (run by `npm test` through scripts/test.sh):
the Connector API over a real gRPC server (spec, check, discover, pages,
checkpoints, errors with their status codes, a read the host cancels), and
serve()'s go-plugin side in a real child process (the magic cookie, the
protocol versions, the handshake line, exit when the host's pipe is gone).
"""
import json
import os
import subprocess
import sys
import threading
import time
import unittest
from concurrent import futures

import grpc

import sluice_sdk
from sluice.v1 import connector_pb2 as pb
from sluice.v1 import connector_pb2_grpc as pb_grpc
from sluice_sdk.connector import ConnectorServicer

COOKIE = {"SLUICE_PLUGIN": "7c3e1f5a9b2d4e6f8a0c1b3d5e7f9a2c"}


class Numbers(sluice_sdk.Connector):
    """`count` numbers in pages of 10, a checkpoint with each page; `fail_at` raises mid-read."""

    def __init__(self):
        self.stopped = threading.Event()

    def spec(self):
        return sluice_sdk.Spec(name="numbers", version="1.0.0", options_schema={"type": "object"})

    def check(self, options):
        return [] if json.loads(options or "{}").get("count", 0) >= 0 else ["count must be ≥ 0"]

    def discover(self, options):
        return [sluice_sdk.Stream(name="numbers", json_schema={"type": "object"}, primary_key=["n"],
                                  sync_modes=["full_refresh", "incremental"])]

    def read(self, request, writer):
        options = json.loads(request.options or "{}")
        if options.get("invalid"):
            raise sluice_sdk.InvalidOptions("invalid is not an option")
        start = (request.state or {}).get("next", 0)
        try:
            for first in range(start, options.get("count", 0), 10):
                if first == options.get("fail_at"):
                    raise RuntimeError(f"broke at {first}")
                writer.write("numbers", [{"n": n} for n in range(first, first + 10)], checkpoint={"next": first + 10})
        finally:
            self.stopped.set()


class ConnectorOverGrpc(unittest.TestCase):
    def setUp(self):
        self.connector = Numbers()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        pb_grpc.add_ConnectorServicer_to_server(ConnectorServicer(self.connector), self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = pb_grpc.ConnectorStub(self.channel)

    def tearDown(self):
        self.channel.close()
        self.server.stop(0).wait()

    def read(self, options, state=""):
        request = pb.ReadRequest(options=json.dumps(options), state=state,
                                 streams=[pb.StreamSelection(name="numbers", sync_mode=pb.SYNC_MODE_INCREMENTAL)])
        return self.stub.Read(request, timeout=30)

    def test_spec_check_discover(self):
        spec = self.stub.Spec(pb.SpecRequest(), timeout=30)
        self.assertEqual((spec.name, spec.version, json.loads(spec.options_schema)), ("numbers", "1.0.0", {"type": "object"}))
        self.assertTrue(self.stub.Check(pb.CheckRequest(options='{"count": 1}'), timeout=30).ok)
        failed = self.stub.Check(pb.CheckRequest(options='{"count": -1}'), timeout=30)
        self.assertEqual((failed.ok, list(failed.errors)), (False, ["count must be ≥ 0"]))
        [stream] = self.stub.Discover(pb.DiscoverRequest(options="{}"), timeout=30).streams
        self.assertEqual(stream.name, "numbers")
        self.assertEqual(list(stream.sync_modes), [pb.SYNC_MODE_FULL_REFRESH, pb.SYNC_MODE_INCREMENTAL])

    def test_pages_carry_records_and_their_checkpoint_and_a_read_resumes_from_state(self):
        pages = [m.page for m in self.read({"count": 30})]
        self.assertEqual([json.loads(p.json.array)[0]["n"] for p in pages], [0, 10, 20])
        self.assertEqual([json.loads(p.checkpoint.state) for p in pages], [{"next": 10}, {"next": 20}, {"next": 30}])
        resumed = [m.page for m in self.read({"count": 30}, state='{"next": 20}')]
        self.assertEqual([json.loads(p.json.array)[0]["n"] for p in resumed], [20])

    def test_invalid_options_are_invalid_argument(self):
        with self.assertRaises(grpc.RpcError) as raised:
            list(self.read({"invalid": True}))
        self.assertEqual(raised.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertEqual(raised.exception.details(), "invalid is not an option")

    def test_a_failure_mid_read_comes_after_the_pages_before_it(self):
        received = []
        with self.assertRaises(grpc.RpcError) as raised:
            for message in self.read({"count": 50, "fail_at": 20}):
                received.append(json.loads(message.page.checkpoint.state))
        self.assertEqual(received, [{"next": 10}, {"next": 20}])
        self.assertEqual(raised.exception.code(), grpc.StatusCode.INTERNAL)
        self.assertEqual(raised.exception.details(), "broke at 20")

    def test_a_read_the_host_cancels_stops_the_connector(self):
        call = self.read({"count": 10_000_000})
        next(call)
        call.cancel()
        self.assertTrue(self.connector.stopped.wait(10), "the connector's read ended after the cancel")


SERVE = "import sluice_sdk, test_sdk; sluice_sdk.serve(test_sdk.Numbers())"


def start_plugin(env):
    here = os.path.dirname(os.path.abspath(__file__))
    return subprocess.Popen([sys.executable, "-c", SERVE], cwd=here, env={**os.environ, **env},
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class ServeAsPlugin(unittest.TestCase):
    def test_without_the_magic_cookie_it_refuses_to_run(self):
        env = {k: v for k, v in os.environ.items() if k != "SLUICE_PLUGIN"}
        plugin = subprocess.run([sys.executable, "-c", SERVE], cwd=os.path.dirname(os.path.abspath(__file__)),
                                env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(plugin.returncode, 1)
        self.assertIn("This binary is a plugin", plugin.stderr)

    def test_a_protocol_version_it_does_not_speak_is_refused(self):
        plugin = start_plugin({**COOKIE, "PLUGIN_PROTOCOL_VERSIONS": "2,3"})
        _, stderr = plugin.communicate(timeout=60)
        self.assertEqual(plugin.returncode, 1)
        self.assertIn("Incompatible API version with plugin. Plugin version: 1, host versions: 2,3", stderr)

    def test_the_handshake_line_names_a_unix_socket_that_serves_the_connector(self):
        plugin = start_plugin(COOKIE)
        try:
            line = plugin.stdout.readline().strip()
            core, app, network, address, protocol, cert = line.split("|")
            self.assertEqual((core, app, network, protocol, cert), ("1", "1", "unix", "grpc", ""))
            with grpc.insecure_channel(f"unix:{address}") as channel:
                spec = pb_grpc.ConnectorStub(channel).Spec(pb.SpecRequest(), timeout=30)
            self.assertEqual(spec.name, "numbers")
        finally:
            plugin.kill()
            plugin.wait(30)


if __name__ == "__main__":
    unittest.main()
