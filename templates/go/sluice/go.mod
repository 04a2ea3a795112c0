module {{goModule}}

go 1.26.0

require github.com/sluice-dev/sluice/sdk/go v0.0.0

// The Go SDK is not published: it comes from the Sluice installation on this machine.
replace github.com/sluice-dev/sluice/sdk/go => {{sluiceRoot}}/sdk/go
