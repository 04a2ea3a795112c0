package sluice

import (
	"encoding/json"
	"fmt"

	"github.com/sluice-dev/sluice/sdk/go/gen/sluicev1"
)

// PageWriter sends a Read's pages to the host. Each call blocks while the
// host is busy storing earlier pages (gRPC flow control), so a connector
// never outruns the store. It is not safe for concurrent use.
type PageWriter struct {
	out       sluicev1.Connector_ReadServer
	estimates map[string]uint64
}

// Write sends one page of records for stream. records is a slice of JSON
// objects (structs or maps), encoded as one JSON array. checkpoint, when not
// nil, is the connector's whole state after this page (any JSON-marshalable
// value; a json.RawMessage is sent as is): the host saves it in the same
// transaction as the page's records and hands it back in the next run's
// ReadRequest.State.
func (w *PageWriter) Write(stream string, records any, checkpoint any) error {
	array, err := json.Marshal(records)
	if err != nil {
		return fmt.Errorf("records of stream %q: %w", stream, err)
	}
	if len(array) == 0 || array[0] != '[' {
		if string(array) == "null" { // a nil slice: an empty page
			array = []byte("[]")
		} else {
			return fmt.Errorf("records of stream %q: want a slice, got %T", stream, records)
		}
	}
	return w.WriteJSON(stream, array, checkpoint)
}

// WriteJSON sends a page whose records are already encoded as one JSON array
// of objects.
func (w *PageWriter) WriteJSON(stream string, array []byte, checkpoint any) error {
	return w.send(&sluicev1.Page{Stream: stream, Records: &sluicev1.Page_Json{Json: &sluicev1.JsonRecords{Array: array}}}, checkpoint)
}

// WriteColumns sends a page column by column (cheaper than JSON for large
// numeric pages). Every column must hold the same number of rows.
func (w *PageWriter) WriteColumns(stream string, columns []Column, checkpoint any) error {
	page := &sluicev1.ColumnarRecords{}
	for i, c := range columns {
		if i == 0 {
			page.RowCount = uint32(c.rows)
		} else if uint32(c.rows) != page.RowCount {
			return fmt.Errorf("stream %q: column %q has %d rows, column %q has %d", stream, c.name, c.rows, columns[0].name, page.RowCount)
		}
		page.Names = append(page.Names, c.name)
		page.Columns = append(page.Columns, c.wire)
	}
	return w.send(&sluicev1.Page{Stream: stream, Records: &sluicev1.Page_Columns{Columns: page}}, checkpoint)
}

// Checkpoint saves the connector's state with no records (e.g. "nothing new
// since …").
func (w *PageWriter) Checkpoint(state any) error {
	cp, err := checkpointOf(state)
	if err != nil {
		return err
	}
	if cp == nil {
		return fmt.Errorf("checkpoint: state is nil")
	}
	return w.out.Send(&sluicev1.ReadResponse{Message: &sluicev1.ReadResponse_Checkpoint{Checkpoint: cp}})
}

// SetEstimatedTotal tells the host how many records stream has in all (for
// progress bars only); later pages of that stream carry it.
func (w *PageWriter) SetEstimatedTotal(stream string, total uint64) {
	if w.estimates == nil {
		w.estimates = map[string]uint64{}
	}
	w.estimates[stream] = total
}

func (w *PageWriter) send(page *sluicev1.Page, checkpoint any) error {
	cp, err := checkpointOf(checkpoint)
	if err != nil {
		return err
	}
	page.Checkpoint = cp
	page.EstimatedTotal = w.estimates[page.Stream]
	return w.out.Send(&sluicev1.ReadResponse{Message: &sluicev1.ReadResponse_Page{Page: page}})
}

func checkpointOf(state any) (*sluicev1.Checkpoint, error) {
	if state == nil {
		return nil, nil
	}
	b, err := json.Marshal(state)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	return &sluicev1.Checkpoint{State: string(b)}, nil
}

// Column is one field's values for every row of a columnar page. Build one
// with Strings, Integers, Doubles or Bools; mark nulls with WithNulls.
type Column struct {
	name string
	rows int
	wire *sluicev1.Column
}

// Strings is a column of text values.
func Strings(name string, values []string) Column {
	return Column{name: name, rows: len(values), wire: &sluicev1.Column{Strings: values}}
}

// Integers is a column of integer values.
func Integers(name string, values []int64) Column {
	return Column{name: name, rows: len(values), wire: &sluicev1.Column{Integers: values}}
}

// Doubles is a column of floating-point values.
func Doubles(name string, values []float64) Column {
	return Column{name: name, rows: len(values), wire: &sluicev1.Column{Doubles: values}}
}

// Bools is a column of booleans, sent as integers 1 and 0.
func Bools(name string, values []bool) Column {
	ints := make([]int64, len(values))
	for i, v := range values {
		if v {
			ints[i] = 1
		}
	}
	return Integers(name, ints)
}

// WithNulls marks the rows where null[i] is true as null (their values in the
// column are placeholders). null must have one entry per row.
func (c Column) WithNulls(null []bool) Column {
	if len(null) != c.rows {
		panic(fmt.Sprintf("sluice: column %q: %d null flags for %d rows", c.name, len(null), c.rows))
	}
	flags := make([]sluicev1.ValueFlag, len(null))
	hasNull := false
	for i, n := range null {
		if n {
			flags[i] = sluicev1.ValueFlag_VALUE_FLAG_NULL
			hasNull = true
		}
	}
	wire := &sluicev1.Column{Strings: c.wire.Strings, Integers: c.wire.Integers, Doubles: c.wire.Doubles}
	if hasNull {
		wire.Flags = flags
	}
	return Column{name: c.name, rows: c.rows, wire: wire}
}
