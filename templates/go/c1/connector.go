package main

// The {{name}} connector, on c1-core's contract: one Sync that sends every
// object as DataObjects (remote_id, resource_name, uri, metadata) page by
// page and returns EndSync's metadata. Edit objectsFrom (fetch from your
// system) and the options.
//
// As generated it sends `count` numbered objects, `page_size` per page.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	sluice "github.com/sluice-dev/sluice/sdk/go"
	"github.com/sluice-dev/sluice/sdk/go/gen/c1"
)

type options struct {
	Count    int `json:"count"`
	PageSize int `json:"page_size"`
}

// parseOptions applies the defaults; an error names the option at fault.
func parseOptions(raw string) (options, error) {
	opts := options{Count: 100, PageSize: 25}
	if strings.TrimSpace(raw) != "" {
		dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&opts); err != nil {
			return opts, fmt.Errorf("the options must be a JSON object of count and page_size: %w", err)
		}
	}
	switch {
	case opts.Count < 0:
		return opts, fmt.Errorf(`option "count": must be 0 or more, got %d`, opts.Count)
	case opts.PageSize < 1:
		return opts, fmt.Errorf(`option "page_size": must be 1 or more, got %d`, opts.PageSize)
	}
	return opts, nil
}

// objectsFrom returns every object to send: replace with what your system holds.
func objectsFrom(opts options) []*c1.DataObject {
	objects := make([]*c1.DataObject, 0, opts.Count)
	for n := 1; n <= opts.Count; n++ {
		objects = append(objects, &c1.DataObject{
			RemoteId:     fmt.Sprintf("object-%d", n),
			ResourceName: fmt.Sprintf("Object %d", n),
			Uri:          fmt.Sprintf("https://example.com/objects/%d", n),
			Metadata:     fmt.Sprintf(`{"position": %d}`, n),
		})
	}
	return objects
}

type connector struct{}

func (connector) Sync(ctx context.Context, raw string, pages *sluice.C1Pages) (string, error) {
	opts, err := parseOptions(raw)
	if err != nil {
		return "", sluice.InvalidOptions{Reason: err.Error()}
	}
	objects := objectsFrom(opts)
	for start := 0; start < len(objects); start += opts.PageSize {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if err := pages.Upsert(objects[start:min(start+opts.PageSize, len(objects))]); err != nil {
			return "", err
		}
	}
	end, err := json.Marshal(map[string]any{"message": "success", "objects": len(objects)})
	return string(end), err
}
