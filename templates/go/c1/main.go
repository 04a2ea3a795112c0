// Command {{name}} is a c1-core connector: a go-plugin plugin with c1-core's
// handshake and contract (so c1-core's host runs it, and so does Sluice),
// made with sluice new.
package main

import sluice "github.com/sluice-dev/sluice/sdk/go"

func main() { sluice.ServeC1(connector{}) }
