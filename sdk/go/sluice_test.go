package sluice

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sluice-dev/sluice/sdk/go/gen/sluicev1"
)

type fake struct{ gotRead ReadRequest }

func (fake) Spec(context.Context) (Spec, error) {
	return Spec{Name: "fake", Version: "1", OptionsSchema: map[string]any{"type": "object"}}, nil
}

func (fake) Check(_ context.Context, options string) ([]string, error) {
	if options == "bad" {
		return []string{`option "x" is bad`}, nil
	}
	return nil, nil
}

func (fake) Discover(_ context.Context, options string) ([]Stream, error) {
	if options == "boom" {
		return nil, InvalidOptions{Reason: `option "root" is missing`}
	}
	return []Stream{{Name: "rows", JSONSchema: `{"type":"object"}`, PrimaryKey: []string{"id"}, SyncModes: []SyncMode{FullRefresh, Incremental}}}, nil
}

func (f *fake) Read(_ context.Context, req ReadRequest, w *PageWriter) error {
	f.gotRead = req
	if req.Options == "fail" {
		return errors.New("source went away")
	}
	w.SetEstimatedTotal("rows", 3)
	if err := w.Write("rows", []map[string]any{{"id": 1}, {"id": 2}}, map[string]int{"next": 3}); err != nil {
		return err
	}
	cols := []Column{Integers("id", []int64{3, 0}).WithNulls([]bool{false, true}), Strings("name", []string{"c", "d"}), Bools("ok", []bool{true, false})}
	if err := w.WriteColumns("rows", cols, nil); err != nil {
		return err
	}
	return w.Checkpoint(json.RawMessage(`{"next":5}`))
}

func dial(t *testing.T, impl Connector) sluicev1.ConnectorClient {
	t.Helper()
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{PluginName: &GRPCPlugin{Impl: impl}})
	t.Cleanup(func() { client.Close() })
	raw, err := client.Dispense(PluginName)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(sluicev1.ConnectorClient)
}

func TestSpecCheckDiscover(t *testing.T) {
	c := dial(t, &fake{})
	ctx := context.Background()
	spec, err := c.Spec(ctx, &sluicev1.SpecRequest{})
	if err != nil || spec.GetName() != "fake" || spec.GetOptionsSchema() != `{"type":"object"}` {
		t.Fatalf("spec: %v %v", spec, err)
	}
	check, err := c.Check(ctx, &sluicev1.CheckRequest{Options: "bad"})
	if err != nil || check.GetOk() || len(check.GetErrors()) != 1 {
		t.Fatalf("check: %v %v", check, err)
	}
	if check, _ := c.Check(ctx, &sluicev1.CheckRequest{Options: "{}"}); !check.GetOk() {
		t.Fatalf("check of good options: %v", check)
	}
	discovered, err := c.Discover(ctx, &sluicev1.DiscoverRequest{})
	if err != nil || len(discovered.GetStreams()) != 1 || len(discovered.GetStreams()[0].GetSyncModes()) != 2 {
		t.Fatalf("discover: %v %v", discovered, err)
	}
	_, err = c.Discover(ctx, &sluicev1.DiscoverRequest{Options: "boom"})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("discover with bad options: want INVALID_ARGUMENT, got %v", err)
	}
}

func TestRead(t *testing.T) {
	impl := &fake{}
	c := dial(t, impl)
	stream, err := c.Read(context.Background(), &sluicev1.ReadRequest{
		State:   `{"next":1}`,
		Streams: []*sluicev1.StreamSelection{{Name: "rows", SyncMode: sluicev1.SyncMode_SYNC_MODE_INCREMENTAL}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []*sluicev1.ReadResponse
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	if len(got) != 3 {
		t.Fatalf("want 3 messages, got %d", len(got))
	}
	first := got[0].GetPage()
	if string(first.GetJson().GetArray()) != `[{"id":1},{"id":2}]` || first.GetCheckpoint().GetState() != `{"next":3}` || first.GetEstimatedTotal() != 3 {
		t.Fatalf("first page: %v", first)
	}
	cols := got[1].GetPage().GetColumns()
	if cols.GetRowCount() != 2 || len(cols.GetNames()) != 3 || cols.GetColumns()[0].GetFlags()[1] != sluicev1.ValueFlag_VALUE_FLAG_NULL ||
		cols.GetColumns()[2].GetIntegers()[0] != 1 || got[1].GetPage().GetCheckpoint() != nil {
		t.Fatalf("columnar page: %v", got[1])
	}
	if got[2].GetCheckpoint().GetState() != `{"next":5}` {
		t.Fatalf("standalone checkpoint: %v", got[2])
	}
	var state struct{ Next int }
	if ok, err := impl.gotRead.LoadState(&state); !ok || err != nil || state.Next != 1 {
		t.Fatalf("state: %v %v %v", ok, err, state)
	}
	if ok, mode := impl.gotRead.Selected("rows"); !ok || mode != Incremental {
		t.Fatalf("selection: %v %v", ok, mode)
	}
	if ok, _ := impl.gotRead.Selected("other"); ok {
		t.Fatal("an unselected stream counts as selected")
	}
}

func TestReadError(t *testing.T) {
	c := dial(t, &fake{})
	stream, err := c.Read(context.Background(), &sluicev1.ReadRequest{Options: "fail"})
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.Unknown || status.Convert(err).Message() != "source went away" {
		t.Fatalf("want the connector's error, got %v", err)
	}
}

func TestWriteRejectsNonSlices(t *testing.T) {
	w := &PageWriter{}
	if err := w.Write("rows", map[string]int{"id": 1}, nil); err == nil {
		t.Fatal("a map was accepted as a page of records")
	}
	if err := w.WriteColumns("rows", []Column{Strings("a", []string{"x"}), Strings("b", nil)}, nil); err == nil {
		t.Fatal("columns of different lengths were accepted")
	}
}
