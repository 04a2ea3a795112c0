"""Starts the {{name}} connector: the process becomes a go-plugin plugin that Sluice runs."""
from sluice_sdk import serve

from connector import ItemsConnector

if __name__ == "__main__":
    serve(ItemsConnector())
