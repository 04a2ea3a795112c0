package sluice

import (
	"context"
	"testing"

	"google.golang.org/grpc/stats"
)

func TestHostWatchEndsThePluginWhenTheLastConnectionEnds(t *testing.T) {
	var reasons []string
	w := &hostWatch{exit: func(reason string) { reasons = append(reasons, reason) }}
	ctx := context.Background()
	w.HandleConn(ctx, &stats.ConnBegin{})
	w.HandleConn(ctx, &stats.ConnBegin{})
	w.HandleConn(ctx, &stats.ConnEnd{})
	if len(reasons) != 0 {
		t.Fatalf("a connection is still open, yet the plugin was ended: %v", reasons)
	}
	w.HandleConn(ctx, &stats.ConnEnd{})
	w.gone("again")
	if len(reasons) != 1 || reasons[0] != "the host closed its connection" {
		t.Fatalf("want one exit when the last connection ends, got %v", reasons)
	}
}
