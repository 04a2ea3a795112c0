"""The connector's own tests: .venv/bin/python -m unittest. ``sluice test`` checks the running connector."""
import unittest

from sluice_sdk import ReadRequest, StreamSelection

from connector import ItemsConnector, parse_options


class RecordingWriter:
    def __init__(self):
        self.pages = []

    def write(self, stream, records, checkpoint=None, estimated_total=0):
        self.pages.append((stream, records, checkpoint))

    def checkpoint(self, state):
        self.pages.append((None, [], state))


class ConnectorTest(unittest.TestCase):
    def test_problems_name_the_option(self):
        self.assertEqual(parse_options('{"count": -1}')[1], ['option "count": must be an integer, 0 or more'])
        self.assertEqual(parse_options("")[0], {"count": 100, "page_size": 25})

    def test_incremental_read_starts_after_the_state(self):
        writer = RecordingWriter()
        request = ReadRequest(options='{"count": 5, "page_size": 2}', state={"last_id": 2},
                              streams=[StreamSelection(name="items", sync_mode="incremental")])
        ItemsConnector().read(request, writer)
        self.assertEqual([[item["id"] for item in records] for _, records, _ in writer.pages], [[3, 4], [5]])
        self.assertEqual(writer.pages[-1][2], {"last_id": 5})


if __name__ == "__main__":
    unittest.main()
