// Command {{name}} is a Sluice connector (native protocol): a go-plugin
// plugin serving sluice.v1.Connector, made with sluice new.
package main

import sluice "github.com/sluice-dev/sluice/sdk/go"

func main() { sluice.Serve(connector{}) }
