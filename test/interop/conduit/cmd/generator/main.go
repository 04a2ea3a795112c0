// Conduit's generator connector as a standalone binary, as its own cmd/connector does.
package main

import (
	generator "github.com/conduitio/conduit-connector-generator"
	sdk "github.com/conduitio/conduit-connector-sdk"
)

func main() { sdk.Serve(generator.Connector) }
