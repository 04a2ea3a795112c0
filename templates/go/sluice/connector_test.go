package main

// The connector's own tests: go test ./... `sluice test` checks the running connector.

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/hashicorp/go-plugin"

	sluice "github.com/sluice-dev/sluice/sdk/go"
	"github.com/sluice-dev/sluice/sdk/go/gen/sluicev1"
)

func TestOptionsProblemsNameTheOption(t *testing.T) {
	if _, problems := parseOptions(`{"count": -1}`); len(problems) != 1 || !strings.Contains(problems[0], `"count"`) {
		t.Fatalf("problems %v", problems)
	}
	if opts, problems := parseOptions(""); len(problems) != 0 || opts.Count != 100 {
		t.Fatalf("defaults %v %v", opts, problems)
	}
}

// TestIncrementalRead reads through the plugin, as Sluice does: from the state {"last_id": 2}, items 3..5.
func TestIncrementalRead(t *testing.T) {
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{sluice.PluginName: &sluice.GRPCPlugin{Impl: connector{}}})
	defer client.Close()
	raw, err := client.Dispense(sluice.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := raw.(sluicev1.ConnectorClient).Read(context.Background(), &sluicev1.ReadRequest{
		Options: `{"count": 5, "page_size": 2}`,
		State:   `{"last_id": 2}`,
		Streams: []*sluicev1.StreamSelection{{Name: streamName, SyncMode: sluicev1.SyncMode_SYNC_MODE_INCREMENTAL}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var pages []string
	for {
		message, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, string(message.GetPage().GetJson().GetArray())+" "+message.GetPage().GetCheckpoint().GetState())
	}
	want := `[{"id":3,"name":"item 3"},{"id":4,"name":"item 4"}] {"last_id":4}|[{"id":5,"name":"item 5"}] {"last_id":5}`
	if strings.Join(pages, "|") != want {
		t.Fatalf("pages %v", pages)
	}
}
