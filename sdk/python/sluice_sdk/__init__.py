"""Sluice's Python SDK: implement :class:`Connector` and call :func:`serve`.

The process becomes a HashiCorp go-plugin plugin (gRPC, magic cookie
``SLUICE_PLUGIN``, app protocol version 1) serving ``sluice.v1.Connector`` from
``proto/sluice/v1``; the code under ``gen/`` is generated from that proto by
``scripts/build-python.sh``.
"""
import os
import sys

# Generated modules import each other as top-level packages (sluice.v1, plugin).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "gen"))

from .connector import Connector, InvalidOptions, PageWriter, ReadRequest, Spec, Stream, StreamSelection  # noqa: E402
from .plugin import serve  # noqa: E402

__all__ = ["Connector", "InvalidOptions", "PageWriter", "ReadRequest", "Spec", "Stream", "StreamSelection", "serve"]
