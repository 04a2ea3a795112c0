// Conduit's file connector as a standalone binary, as its own cmd/connector does.
package main

import (
	file "github.com/conduitio/conduit-connector-file"
	sdk "github.com/conduitio/conduit-connector-sdk"
)

func main() { sdk.Serve(file.Connector) }
