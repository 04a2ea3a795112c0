package main

// The {{name}} connector. Edit Spec (name, version, the JSON Schema of the
// options), Check (problems, each naming the option), Discover (streams and
// the JSON Schema of their records) and Read (fetch from your system, write
// pages, checkpoint the state).
//
// As generated it reads `count` numbered items, `page_size` per page, and
// checkpoints the last id, so the next run reads only newer items.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	sluice "github.com/sluice-dev/sluice/sdk/go"
)

const streamName = "items"

type options struct {
	Count    int64 `json:"count"`
	PageSize int64 `json:"page_size"`
}

type state struct {
	LastID int64 `json:"last_id"`
}

type item struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type object = map[string]any

var optionsSchema = object{
	"type": "object",
	"properties": object{
		"count":     object{"type": "integer", "minimum": 0, "default": 100, "description": "how many items there are"},
		"page_size": object{"type": "integer", "minimum": 1, "default": 25, "description": "items per page"},
	},
	"additionalProperties": false,
}

var itemSchema = object{
	"type":       "object",
	"properties": object{"id": object{"type": "integer"}, "name": object{"type": "string"}},
	"required":   []string{"id", "name"},
}

// parseOptions applies the defaults and returns the problems, each naming the option.
func parseOptions(raw string) (options, []string) {
	opts := options{Count: 100, PageSize: 25}
	if strings.TrimSpace(raw) == "" {
		return opts, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&opts); err != nil {
		return opts, []string{"the options must be a JSON object of count and page_size: " + err.Error()}
	}
	var problems []string
	if opts.Count < 0 {
		problems = append(problems, fmt.Sprintf(`option "count": must be 0 or more, got %d`, opts.Count))
	}
	if opts.PageSize < 1 {
		problems = append(problems, fmt.Sprintf(`option "page_size": must be 1 or more, got %d`, opts.PageSize))
	}
	return opts, problems
}

// itemsAfter returns the items after lastID: replace with what your system returns.
func itemsAfter(lastID int64, opts options) []item {
	var items []item
	for id := lastID + 1; id <= opts.Count; id++ {
		items = append(items, item{ID: id, Name: fmt.Sprintf("item %d", id)})
	}
	return items
}

type connector struct{}

func (connector) Spec(context.Context) (sluice.Spec, error) {
	return sluice.Spec{Name: "{{name}}", Version: "0.1.0", Description: "{{name}} connector", OptionsSchema: optionsSchema}, nil
}

func (connector) Check(_ context.Context, raw string) ([]string, error) {
	_, problems := parseOptions(raw)
	return problems, nil
}

func (connector) Discover(context.Context, string) ([]sluice.Stream, error) {
	return []sluice.Stream{{
		Name:        streamName,
		JSONSchema:  itemSchema,
		PrimaryKey:  []string{"id"},
		CursorField: "id",
		SyncModes:   []sluice.SyncMode{sluice.FullRefresh, sluice.Incremental},
	}}, nil
}

func (connector) Read(ctx context.Context, req sluice.ReadRequest, w *sluice.PageWriter) error {
	opts, problems := parseOptions(req.Options)
	if len(problems) > 0 {
		return sluice.InvalidOptions{Reason: strings.Join(problems, "; ")}
	}
	selected, mode := req.Selected(streamName)
	if !selected {
		return nil
	}
	var st state
	if mode != sluice.FullRefresh {
		if _, err := req.LoadState(&st); err != nil {
			return fmt.Errorf(`state %s is not {"last_id": …}: %w`, req.State, err)
		}
	}
	items := itemsAfter(st.LastID, opts)
	w.SetEstimatedTotal(streamName, uint64(len(items)))
	for start := 0; start < len(items); start += int(opts.PageSize) {
		if err := ctx.Err(); err != nil {
			return err
		}
		page := items[start:min(start+int(opts.PageSize), len(items))]
		if err := w.Write(streamName, page, state{LastID: page[len(page)-1].ID}); err != nil {
			return err
		}
	}
	return nil
}
