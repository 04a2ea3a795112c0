package main

// The connector's own tests: go test ./... `sluice test` checks the running connector.

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/go-plugin"

	sluice "github.com/sluice-dev/sluice/sdk/go"
	"github.com/sluice-dev/sluice/sdk/go/gen/c1"
)

// callback is a host's CallbackHandler keeping the pages it is sent.
type callback struct {
	c1.UnimplementedCallbackHandlerServer
	pages [][]*c1.DataObject
}

func (cb *callback) Upsert(_ context.Context, page *c1.SyncResponse) (*c1.Empty, error) {
	cb.pages = append(cb.pages, page.GetResponse())
	return &c1.Empty{}, nil
}

// TestSync syncs through the plugin and its broker, as c1-core's host and Sluice do.
func TestSync(t *testing.T) {
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{sluice.PluginName: &sluice.C1GRPCPlugin{Impl: connector{}}})
	defer client.Close()
	raw, err := client.Dispense(sluice.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	cb := &callback{}
	end, err := raw.(*sluice.C1Host).Sync(context.Background(), `{"count": 5, "page_size": 2}`, cb)
	if err != nil {
		t.Fatal(err)
	}
	if len(cb.pages) != 3 || cb.pages[0][0].GetRemoteId() != "object-1" || end.GetMetadata() != `{"message":"success","objects":5}` {
		t.Fatalf("pages %v, end %v", cb.pages, end)
	}
}

func TestOptionsErrorsNameTheOption(t *testing.T) {
	if _, err := parseOptions(`{"page_size": 0}`); err == nil || !strings.Contains(err.Error(), `"page_size"`) {
		t.Fatalf("error %v", err)
	}
}
