package sluice

import (
	"encoding/json"
	"errors"

	sluicev1 "github.com/sluice-dev/sluice/sdk/go/gen/sluicev1"
)

// PageWriter sends pages to the host. Send blocks while the host is busy
// writing (gRPC flow control), so a connector never outruns the store.
type PageWriter struct {
	out sluicev1.Connector_ReadServer
}

// PageOption adds something to a page.
type PageOption func(*sluicev1.Page) error

// WithCheckpoint attaches the connector's state (any JSON-marshalable value),
// saved by the host in the same transaction as the page's records.
func WithCheckpoint(state any) PageOption {
	return func(p *sluicev1.Page) error {
		b, err := json.Marshal(state)
		if err != nil {
			return err
		}
		p.Checkpoint = &sluicev1.Checkpoint{State: string(b)}
		return nil
	}
}

// WithEstimatedTotal tells the host how many records the stream has in all (for progress bars).
func WithEstimatedTotal(n uint64) PageOption {
	return func(p *sluicev1.Page) error {
		p.EstimatedTotal = n
		return nil
	}
}

// Write sends one page: records is a slice of JSON objects (structs or maps),
// encoded as one JSON array.
func (w *PageWriter) Write(stream string, records any, opts ...PageOption) error {
	array, err := json.Marshal(records)
	if err != nil {
		return err
	}
	return w.WriteJSON(stream, array, opts...)
}

// WriteJSON sends a page whose records are already encoded as one JSON array.
func (w *PageWriter) WriteJSON(stream string, array []byte, opts ...PageOption) error {
	page := &sluicev1.Page{Stream: stream, Records: &sluicev1.Page_Json{Json: &sluicev1.JsonRecords{Array: array}}}
	for _, opt := range opts {
		if err := opt(page); err != nil {
			return err
		}
	}
	return w.out.Send(&sluicev1.ReadResponse{Message: &sluicev1.ReadResponse_Page{Page: page}})
}

// Checkpoint saves state with no records.
func (w *PageWriter) Checkpoint(state any) error {
	b, err := json.Marshal(state)
	if err != nil {
		return err
	}
	return w.out.Send(&sluicev1.ReadResponse{Message: &sluicev1.ReadResponse_Checkpoint{Checkpoint: &sluicev1.Checkpoint{State: string(b)}}})
}

func asInvalid(err error, target *InvalidOptions) bool {
	return errors.As(err, target)
}
