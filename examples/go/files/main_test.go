package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	sluice "github.com/sluice-dev/sluice/sdk/go"
	"github.com/sluice-dev/sluice/sdk/go/gen/c1"
)

// callback is a host's CallbackHandler that can refuse a page.
type callback struct {
	c1.UnimplementedCallbackHandlerServer
	mu      sync.Mutex
	pages   [][]*c1.DataObject
	refuseN int // refuse the n-th page (1-based); 0: none
}

func (cb *callback) Upsert(_ context.Context, page *c1.SyncResponse) (*c1.Empty, error) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	if len(cb.pages)+1 == cb.refuseN {
		return nil, fmt.Errorf("disk full")
	}
	cb.pages = append(cb.pages, page.GetResponse())
	return &c1.Empty{}, nil
}

func runSync(t *testing.T, options string, cb *callback) (*c1.EndSync, error) {
	t.Helper()
	plugins := map[string]plugin.Plugin{sluice.PluginName: &sluice.C1GRPCPlugin{Impl: connector{logger: hclog.NewNullLogger()}}}
	client, _ := plugin.TestPluginGRPCConn(t, false, plugins)
	defer client.Close()
	raw, err := client.Dispense(sluice.PluginName)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(*sluice.C1Host).Sync(context.Background(), options, cb)
}

func makeTree(t *testing.T) string {
	root := t.TempDir()
	for _, name := range []string{"a.txt", "b/c.go", "b/d e.md", "f/g/h.json", ".git/HEAD", "node_modules/x/index.js"} {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestSyncPagesThroughTheBroker(t *testing.T) {
	root := makeTree(t)
	cb := &callback{}
	end, err := runSync(t, fmt.Sprintf(`{"root": %q, "page_size": 3}`, root), cb)
	if err != nil {
		t.Fatal(err)
	}
	if end.GetMetadata() != `{"message":"success","objects":4,"pages":2}` {
		t.Fatalf("end metadata %s", end.GetMetadata())
	}
	var ids []string
	for _, page := range cb.pages {
		for _, o := range page {
			ids = append(ids, o.GetRemoteId())
		}
	}
	if strings.Join(ids, ",") != "a.txt,b/c.go,b/d e.md,f/g/h.json" {
		t.Fatalf("remote ids %v", ids)
	}
	o := cb.pages[0][2]
	if o.GetResourceName() != "d e.md" || o.GetUri() != "file://"+filepath.ToSlash(root)+"/b/d%20e.md" {
		t.Fatalf("object %v", o)
	}
	var meta map[string]any
	if err := json.Unmarshal([]byte(o.GetMetadata()), &meta); err != nil {
		t.Fatal(err)
	}
	if meta["size"] != float64(len("b/d e.md")) || meta["extension"] != ".md" || meta["mode"] != "-rw-r--r--" || meta["modified_at"] == "" {
		t.Fatalf("metadata %v", meta)
	}
}

func TestAFailedUpsertFailsTheSync(t *testing.T) {
	cb := &callback{refuseN: 2}
	_, err := runSync(t, fmt.Sprintf(`{"root": %q, "page_size": 1}`, makeTree(t)), cb)
	if err == nil || !strings.Contains(err.Error(), "upsert of page 2 failed") || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("want the upsert error, got %v", err)
	}
	if len(cb.pages) != 1 {
		t.Fatalf("pages after the refused one were sent: %d", len(cb.pages))
	}
}

func TestBadOptionsNameTheOption(t *testing.T) {
	for raw, want := range map[string]string{
		`{"page_size": 0}`:         `"page_size"`,
		`{"root": "/nonexistent"}`: `"root"`,
		`{"roots": "/"}`:           `"roots"`,
	} {
		if _, err := runSync(t, raw, &callback{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("options %s: want an error naming %s, got %v", raw, want, err)
		}
	}
}

func TestGitListsWhatGitTracksAndNotWhatGitignoreExcludes(t *testing.T) {
	root := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", root, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, text string) {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q")
	write(".gitignore", ".venv/\n*.db\n")
	write("tracked.go", "package x")
	write("gone.txt", "deleted after the commit")
	git("add", ".")
	git("commit", "-q", "-m", "first")
	if err := os.Remove(filepath.Join(root, "gone.txt")); err != nil {
		t.Fatal(err)
	}
	write("new.md", "not committed yet, not ignored")
	write(".venv/lib/site.py", "ignored")
	write("data.db", "ignored")
	cb := &callback{}
	if _, err := runSync(t, fmt.Sprintf(`{"root": %q, "git": true}`, root), cb); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, page := range cb.pages {
		for _, o := range page {
			ids = append(ids, o.GetRemoteId())
		}
	}
	sort.Strings(ids)
	if strings.Join(ids, ",") != ".gitignore,new.md,tracked.go" {
		t.Fatalf("remote ids %v", ids)
	}
}

func TestGitOutsideARepositoryNamesTheOption(t *testing.T) {
	root := t.TempDir()
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(root)) // even when the temp folder is inside a repository
	_, err := runSync(t, fmt.Sprintf(`{"root": %q, "git": true}`, root), &callback{})
	if err == nil || !strings.Contains(err.Error(), `option "git": git ls-files`) {
		t.Fatalf("want an error naming the option, got %v", err)
	}
}
