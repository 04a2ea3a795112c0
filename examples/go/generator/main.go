// Command generator is an example native Sluice connector written with the Go
// SDK: deterministic synthetic `users` records (a pure function of the id), for
// tests and benchmarks. Incremental: each page checkpoints {"next_id": …}, and
// a run resumes from it.
//
// Options (JSON): count (default 1000), page_size (default 1000), start_id,
// fail_after_pages (exit 3 after k pages: for crash tests), sleep_ms_per_page.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	sluice "github.com/sluice-dev/sluice/sdk/go"
)

type options struct {
	Count          int64  `json:"count"`
	PageSize       int64  `json:"page_size"`
	StartID        *int64 `json:"start_id"`
	FailAfterPages int    `json:"fail_after_pages"`
	SleepMsPerPage int    `json:"sleep_ms_per_page"`
}

type state struct {
	NextID int64 `json:"next_id"`
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

var firstNames = []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis"}
var lastNames = []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Ritchie"}
var tagPool = []string{"admin", "beta", "trial", "pro", "eu", "us"}

var epoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// makeUser is a pure function of id, so reruns produce identical rows.
func makeUser(id int64) user {
	first, last := firstNames[id%10], lastNames[(id/10)%10]
	tags := []string{tagPool[id%6]}
	if id%3 == 0 {
		tags = append(tags, tagPool[(id/3)%6])
	}
	return user{
		ID:        id,
		Name:      first + " " + last,
		Email:     fmt.Sprintf("user%d@example.com", id),
		Age:       18 + id%60,
		Score:     float64(id%1000) / 10,
		Active:    id%4 != 0,
		CreatedAt: epoch.Add(time.Duration(id) * time.Minute).Format(time.RFC3339),
		Tags:      tags,
	}
}

var optionsSchema = map[string]any{
	"type": "object",
	"properties": map[string]any{
		"count":             map[string]any{"type": "integer", "minimum": 0, "default": 1000},
		"page_size":         map[string]any{"type": "integer", "minimum": 1, "default": 1000},
		"start_id":          map[string]any{"type": "integer", "minimum": 0},
		"fail_after_pages":  map[string]any{"type": "integer", "minimum": 1},
		"sleep_ms_per_page": map[string]any{"type": "integer", "minimum": 0},
	},
	"additionalProperties": false,
}

var userSchema = map[string]any{
	"type": "object",
	"properties": map[string]any{
		"id":         map[string]any{"type": "integer"},
		"name":       map[string]any{"type": "string"},
		"email":      map[string]any{"type": "string"},
		"age":        map[string]any{"type": "integer"},
		"score":      map[string]any{"type": "number"},
		"active":     map[string]any{"type": "boolean"},
		"created_at": map[string]any{"type": "string", "format": "date-time"},
		"tags":       map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
	},
}

type generator struct{}

func parseOptions(raw string) (options, error) {
	opts := options{Count: 1000, PageSize: 1000}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &opts); err != nil {
			return opts, sluice.InvalidOptions{Reason: "options must be JSON: " + err.Error()}
		}
	}
	return opts, nil
}

func (generator) Spec(context.Context) (sluice.Spec, error) {
	return sluice.Spec{Name: "generator", Version: "0.1.0", Description: "deterministic synthetic users", OptionsSchema: optionsSchema}, nil
}

func (generator) Check(_ context.Context, raw string) ([]string, error) {
	opts, err := parseOptions(raw)
	if err != nil {
		return []string{err.Error()}, nil
	}
	var problems []string
	if opts.Count < 0 {
		problems = append(problems, `option "count" must be ≥ 0`)
	}
	if opts.PageSize < 1 {
		problems = append(problems, `option "page_size" must be ≥ 1`)
	}
	return problems, nil
}

func (generator) Discover(context.Context, string) ([]sluice.Stream, error) {
	return []sluice.Stream{{
		Name: "users", JSONSchema: userSchema, PrimaryKey: []string{"id"}, CursorField: "id",
		SyncModes: []sluice.SyncMode{sluice.FullRefresh, sluice.Incremental},
	}}, nil
}

func (generator) Read(ctx context.Context, req sluice.ReadRequest, w *sluice.PageWriter) error {
	opts, err := parseOptions(req.Options)
	if err != nil {
		return err
	}
	next := int64(0)
	if opts.StartID != nil {
		next = *opts.StartID
	} else if len(req.State) > 0 && incremental(req) {
		var st state
		if err := json.Unmarshal(req.State, &st); err == nil {
			next = st.NextID
		}
	}
	total := uint64(max(opts.Count-next, 0))
	page := make([]user, 0, opts.PageSize)
	for pages := 0; next < opts.Count; pages++ {
		if opts.FailAfterPages > 0 && pages == opts.FailAfterPages {
			time.Sleep(200 * time.Millisecond) // let the pages already sent reach the host
			fmt.Fprintf(os.Stderr, "generator: failing on purpose after %d pages (fail_after_pages)\n", pages)
			time.Sleep(100 * time.Millisecond) // go-plugin forwards os.Stderr asynchronously
			os.Exit(3)
		}
		page = page[:0]
		for ; next < opts.Count && int64(len(page)) < opts.PageSize; next++ {
			page = append(page, makeUser(next))
		}
		if err := w.Write("users", page, sluice.WithCheckpoint(state{NextID: next}), sluice.WithEstimatedTotal(total)); err != nil {
			return err
		}
		if opts.SleepMsPerPage > 0 {
			time.Sleep(time.Duration(opts.SleepMsPerPage) * time.Millisecond)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

func incremental(req sluice.ReadRequest) bool {
	for _, s := range req.Streams {
		if s.Name == "users" && s.SyncMode == sluice.Incremental {
			return true
		}
	}
	return false
}

func main() {
	sluice.Serve(generator{})
}
