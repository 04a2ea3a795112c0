// Command generator is an example native Sluice connector written with the Go
// SDK: deterministic synthetic `users` records (a pure function of the id), for
// tests and benchmarks.
//
// Options (JSON, all optional):
//
//	count              records in the data set (default 1000): ids start_id … start_id+count-1
//	page_size          records per page (default 1000)
//	start_id           first id of the data set (default 0)
//	fail_after_pages   once k pages are sent, write to stderr and exit 3 (crash tests)
//	sleep_ms_per_page  sleep after each page (slow-source tests)
//
// Incremental: each page checkpoints {"next_id": <id after the page's last>};
// a run given that state starts there (unless the host selects users as
// full refresh), so count 100 gives ids 0..99, then count 150 with the state
// gives ids 100..149.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	sluice "github.com/sluice-dev/sluice/sdk/go"
)

const streamName = "users"

type options struct {
	Count          int64 `json:"count"`
	PageSize       int64 `json:"page_size"`
	StartID        int64 `json:"start_id"`
	FailAfterPages int64 `json:"fail_after_pages"`
	SleepMsPerPage int64 `json:"sleep_ms_per_page"`
}

type state struct {
	NextID *int64 `json:"next_id"`
}

type user struct {
	ID        int64    `json:"id"`
	Name      string   `json:"name"`
	Email     string   `json:"email"`
	Age       int64    `json:"age"`
	Score     float64  `json:"score"`
	Active    bool     `json:"active"`
	CreatedAt string   `json:"created_at"`
	Tags      []string `json:"tags"`
}

var (
	firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis"}
	lastNames  = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Ritchie"}
	tagPool    = []string{"admin", "beta", "trial", "pro", "eu", "us"}
	epoch      = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
)

// makeUser is a pure function of id, so reruns produce identical rows.
func makeUser(id int64) user {
	tags := []string{tagPool[id%6]}
	if id%3 == 0 {
		tags = append(tags, tagPool[(id/3)%6])
	}
	return user{
		ID:        id,
		Name:      firstNames[id%10] + " " + lastNames[(id/10)%10],
		Email:     fmt.Sprintf("user%d@example.com", id),
		Age:       18 + id%60,
		Score:     float64(id%1000) / 10,
		Active:    id%4 != 0,
		CreatedAt: epoch.Add(time.Duration(id) * time.Minute).Format(time.RFC3339),
		Tags:      tags,
	}
}

type object = map[string]any

var optionsSchema = object{
	"type": "object",
	"properties": object{
		"count":             object{"type": "integer", "minimum": 0, "default": 1000, "description": "records in the data set"},
		"page_size":         object{"type": "integer", "minimum": 1, "default": 1000, "description": "records per page"},
		"start_id":          object{"type": "integer", "minimum": 0, "default": 0, "description": "first id of the data set"},
		"fail_after_pages":  object{"type": "integer", "minimum": 0, "description": "exit with code 3 after sending this many pages (crash tests); 0: never"},
		"sleep_ms_per_page": object{"type": "integer", "minimum": 0, "description": "sleep after each page, in milliseconds"},
	},
	"additionalProperties": false,
}

var userSchema = object{
	"type": "object",
	"properties": object{
		"id":         object{"type": "integer"},
		"name":       object{"type": "string"},
		"email":      object{"type": "string"},
		"age":        object{"type": "integer"},
		"score":      object{"type": "number"},
		"active":     object{"type": "boolean"},
		"created_at": object{"type": "string", "format": "date-time"},
		"tags":       object{"type": "array", "items": object{"type": "string"}},
	},
}

// parseOptions applies the defaults and returns the problems, each naming the option.
func parseOptions(raw string) (options, []string) {
	opts := options{Count: 1000, PageSize: 1000}
	if strings.TrimSpace(raw) == "" {
		return opts, nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&opts); err != nil {
		return opts, []string{"options must be a JSON object of count, page_size, start_id, fail_after_pages, sleep_ms_per_page: " + err.Error()}
	}
	var problems []string
	atLeast := func(name string, v, min int64) {
		if v < min {
			problems = append(problems, fmt.Sprintf("option %q must be ≥ %d, got %d", name, min, v))
		}
	}
	atLeast("count", opts.Count, 0)
	atLeast("page_size", opts.PageSize, 1)
	atLeast("start_id", opts.StartID, 0)
	atLeast("fail_after_pages", opts.FailAfterPages, 0)
	atLeast("sleep_ms_per_page", opts.SleepMsPerPage, 0)
	return opts, problems
}

type generator struct{}

func (generator) Spec(context.Context) (sluice.Spec, error) {
	return sluice.Spec{
		Name:          "generator",
		Version:       "0.2.0",
		Description:   "Deterministic synthetic users for tests and benchmarks",
		OptionsSchema: optionsSchema,
	}, nil
}

func (generator) Check(_ context.Context, raw string) ([]string, error) {
	_, problems := parseOptions(raw)
	return problems, nil
}

func (generator) Discover(context.Context, string) ([]sluice.Stream, error) {
	return []sluice.Stream{{
		Name:        streamName,
		JSONSchema:  userSchema,
		PrimaryKey:  []string{"id"},
		CursorField: "id",
		SyncModes:   []sluice.SyncMode{sluice.FullRefresh, sluice.Incremental},
	}}, nil
}

func (generator) Read(ctx context.Context, req sluice.ReadRequest, w *sluice.PageWriter) error {
	opts, problems := parseOptions(req.Options)
	if len(problems) > 0 {
		return sluice.InvalidOptions{Reason: strings.Join(problems, "; ")}
	}
	selected, mode := req.Selected(streamName)
	if !selected {
		return nil
	}
	next, end := opts.StartID, opts.StartID+opts.Count
	if mode != sluice.FullRefresh {
		var st state
		if _, err := req.LoadState(&st); err != nil {
			return fmt.Errorf("state %s is not {\"next_id\": …}: %w", req.State, err)
		}
		if st.NextID != nil && *st.NextID > next {
			next = *st.NextID
		}
	}
	if next >= end { // nothing new: say where we are
		return w.Checkpoint(state{NextID: &next})
	}
	w.SetEstimatedTotal(streamName, uint64(end-next))
	page := make([]user, 0, min(opts.PageSize, end-next))
	for pages := int64(1); next < end; pages++ {
		page = page[:0]
		for ; next < end && int64(len(page)) < opts.PageSize; next++ {
			page = append(page, makeUser(next))
		}
		if err := w.Write(streamName, page, state{NextID: &next}); err != nil {
			return err
		}
		if pages == opts.FailAfterPages {
			crash(pages)
		}
		if opts.SleepMsPerPage > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(time.Duration(opts.SleepMsPerPage) * time.Millisecond):
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// crash simulates a connector dying mid-read (fail_after_pages).
func crash(pages int64) {
	time.Sleep(200 * time.Millisecond) // let the pages already sent reach the host
	fmt.Fprintf(os.Stderr, "generator: failing on purpose after %d pages (fail_after_pages)\n", pages)
	time.Sleep(100 * time.Millisecond) // go-plugin forwards os.Stderr asynchronously
	os.Exit(3)
}

func main() {
	sluice.Serve(generator{})
}
