package main

import (
	"context"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/go-plugin"

	sluice "github.com/sluice-dev/sluice/sdk/go"
	"github.com/sluice-dev/sluice/sdk/go/gen/sluicev1"
)

func TestMakeUserIsAPureFunctionOfID(t *testing.T) {
	if !reflect.DeepEqual(makeUser(12345), makeUser(12345)) {
		t.Fatal("makeUser(12345) differs between calls")
	}
	got := makeUser(42)
	want := user{ID: 42, Name: "Alan Liskov", Email: "user42@example.com", Age: 60, Score: 4.2, Active: true,
		CreatedAt: "2020-01-01T00:42:00Z", Tags: []string{"admin", "trial"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("makeUser(42) = %+v, want %+v", got, want)
	}
}

func TestCheckNamesTheOption(t *testing.T) {
	for raw, want := range map[string]string{
		`{"count": -1}`:    `"count"`,
		`{"page_size": 0}`: `"page_size"`,
		`{"start_id": -5}`: `"start_id"`,
		`{"colour": 1}`:    `"colour"`,
		`not json`:         "JSON",
	} {
		problems, err := generator{}.Check(context.Background(), raw)
		if err != nil || len(problems) != 1 || !strings.Contains(problems[0], want) {
			t.Errorf("Check(%s) = %q, %v; want one problem naming %s", raw, problems, err, want)
		}
	}
	if problems, _ := (generator{}).Check(context.Background(), ""); len(problems) != 0 {
		t.Errorf("empty options: %q", problems)
	}
}

type readResult struct {
	ids         []int64
	pages       int
	checkpoints []string
}

func read(t *testing.T, c sluicev1.ConnectorClient, options, state string, mode sluicev1.SyncMode) readResult {
	t.Helper()
	req := &sluicev1.ReadRequest{Options: options, State: state}
	if mode != sluicev1.SyncMode_SYNC_MODE_UNSPECIFIED {
		req.Streams = []*sluicev1.StreamSelection{{Name: "users", SyncMode: mode}}
	}
	stream, err := c.Read(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var out readResult
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if cp := m.GetCheckpoint(); cp != nil {
			out.checkpoints = append(out.checkpoints, cp.GetState())
			continue
		}
		var users []user
		if err := json.Unmarshal(m.GetPage().GetJson().GetArray(), &users); err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			out.ids = append(out.ids, u.ID)
		}
		out.pages++
		out.checkpoints = append(out.checkpoints, m.GetPage().GetCheckpoint().GetState())
	}
}

func TestIncrementalReads(t *testing.T) {
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{sluice.PluginName: &sluice.GRPCPlugin{Impl: generator{}}})
	defer client.Close()
	raw, err := client.Dispense(sluice.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	c := raw.(sluicev1.ConnectorClient)
	incremental := sluicev1.SyncMode_SYNC_MODE_INCREMENTAL

	first := read(t, c, `{"count": 100, "page_size": 40}`, "", incremental)
	if first.pages != 3 || len(first.ids) != 100 || first.ids[0] != 0 || first.ids[99] != 99 {
		t.Fatalf("first run: %d pages, ids %v", first.pages, first.ids)
	}
	if want := []string{`{"next_id":40}`, `{"next_id":80}`, `{"next_id":100}`}; !reflect.DeepEqual(first.checkpoints, want) {
		t.Fatalf("checkpoints %v, want %v", first.checkpoints, want)
	}
	second := read(t, c, `{"count": 150, "page_size": 40}`, `{"next_id":100}`, incremental)
	if len(second.ids) != 50 || second.ids[0] != 100 || second.ids[49] != 149 {
		t.Fatalf("second run: ids %v", second.ids)
	}
	unspecified := read(t, c, `{"count": 150}`, `{"next_id":120}`, sluicev1.SyncMode_SYNC_MODE_UNSPECIFIED)
	if len(unspecified.ids) != 30 {
		t.Fatalf("state with no stream selection: %d records", len(unspecified.ids))
	}
	full := read(t, c, `{"count": 150}`, `{"next_id":100}`, sluicev1.SyncMode_SYNC_MODE_FULL_REFRESH)
	if len(full.ids) != 150 || full.pages != 1 {
		t.Fatalf("full refresh: %d pages, %d records", full.pages, len(full.ids))
	}
	nothing := read(t, c, `{"count": 150}`, `{"next_id":150}`, incremental)
	if nothing.pages != 0 || !reflect.DeepEqual(nothing.checkpoints, []string{`{"next_id":150}`}) {
		t.Fatalf("nothing new: %+v", nothing)
	}
	offset := read(t, c, `{"count": 10, "start_id": 1000, "page_size": 3}`, "", incremental)
	if offset.pages != 4 || offset.ids[0] != 1000 || offset.ids[9] != 1009 {
		t.Fatalf("start_id: %+v", offset)
	}
}
