// Command files is a c1-core connector for a local folder, the counterpart of
// c1-core's S3 example: one DataObject per file, sent page by page through the
// host's CallbackHandler, which the Go SDK's ServeC1 dials over the go-plugin
// broker. It speaks c1-core's handshake and contract (proto/c1/connector.proto),
// so c1-core's host runs it, and so does Sluice.
//
// Options (JSON):
//
//	root              folder to list (default "."; c1-core runs connectors in their install folder)
//	page_size         DataObjects per Upsert (default 100)
//	git               list only what git would track: the files of root's work tree
//	                  that .gitignore does not exclude (git ls-files); default false
//	fail_after_pages  exit with code 3 once k pages are upserted (crash tests); 0: never
//
// DataObject: remote_id = path relative to root (slash-separated),
// resource_name = base name, uri = file://<absolute path>, metadata = JSON
// {"size", "mode", "modified_at" (RFC 3339, UTC), "extension"}. Folders named
// .git and node_modules are skipped, and so are entries that cannot be read
// (logged). A failed Upsert fails the Sync.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	sluice "github.com/sluice-dev/sluice/sdk/go"
	"github.com/sluice-dev/sluice/sdk/go/gen/c1"
)

var skippedDirs = map[string]bool{".git": true, "node_modules": true}

type options struct {
	Root           string `json:"root"`
	PageSize       int    `json:"page_size"`
	FailAfterPages int    `json:"fail_after_pages"`
	Git            bool   `json:"git"`
}

func parseOptions(raw string) (options, error) {
	opts := options{Root: ".", PageSize: 100}
	if strings.TrimSpace(raw) != "" {
		dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&opts); err != nil {
			return opts, fmt.Errorf(`options must be JSON like {"root": "<folder>", "page_size": 100}: %w`, err)
		}
	}
	switch {
	case opts.Root == "":
		return opts, errors.New(`option "root" must name a folder`)
	case opts.PageSize < 1:
		return opts, fmt.Errorf(`option "page_size" must be ≥ 1, got %d`, opts.PageSize)
	case opts.FailAfterPages < 0:
		return opts, fmt.Errorf(`option "fail_after_pages" must be ≥ 0, got %d`, opts.FailAfterPages)
	}
	return opts, nil
}

// connectorPlugin is the "connector" entry of the plugin map.
type connector struct{ logger hclog.Logger }

func (c connector) Sync(ctx context.Context, raw string, pages *sluice.C1Pages) (string, error) {
	opts, err := parseOptions(raw)
	if err != nil {
		return "", sluice.InvalidOptions{Reason: err.Error()}
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return "", sluice.InvalidOptions{Reason: fmt.Sprintf(`option "root": %v`, err)}
	}
	if info, err := os.Stat(root); err != nil || !info.IsDir() {
		return "", sluice.InvalidOptions{Reason: fmt.Sprintf(`option "root": %s is not a folder`, root)}
	}
	c.logger.Info("sync started", "root", root, "page_size", opts.PageSize)

	page := make([]*c1.DataObject, 0, opts.PageSize)
	sent, objects, skipped := 0, 0, 0
	flush := func() error {
		if len(page) == 0 {
			return nil
		}
		if err := pages.Upsert(page); err != nil {
			return err
		}
		sent++
		objects += len(page)
		page = page[:0]
		if opts.FailAfterPages > 0 && sent == opts.FailAfterPages {
			fmt.Fprintf(os.Stderr, "files: failing on purpose after %d pages (fail_after_pages)\n", sent)
			time.Sleep(100 * time.Millisecond) // go-plugin forwards os.Stderr asynchronously
			os.Exit(3)
		}
		return nil
	}
	add := func(path string, entry fs.DirEntry) error {
		object, err := dataObject(root, path, entry)
		if err != nil {
			c.logger.Warn("skipping an unreadable entry", "path", path, "error", err.Error())
			skipped++
			return nil
		}
		page = append(page, object)
		if len(page) >= opts.PageSize {
			return flush()
		}
		return nil
	}
	if opts.Git {
		err = gitFiles(ctx, root, add)
	} else {
		err = walkFiles(ctx, root, c.logger, &skipped, add)
	}
	if err == nil {
		err = flush()
	}
	if err != nil {
		c.logger.Error("sync failed", "error", err.Error(), "pages", sent, "objects", objects)
		return "", err
	}
	c.logger.Info("sync finished", "objects", objects, "pages", sent, "skipped", skipped)
	end, _ := json.Marshal(struct {
		Message string `json:"message"`
		Objects int    `json:"objects"`
		Pages   int    `json:"pages"`
	}{"success", objects, sent})
	return string(end), nil
}

// walkFiles visits every file under root, skipping .git and node_modules folders.
func walkFiles(ctx context.Context, root string, logger hclog.Logger, skipped *int, add func(string, fs.DirEntry) error) error {
	return filepath.WalkDir(root, func(path string, entry fs.DirEntry, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if err != nil {
			if path == root {
				return err
			}
			logger.Warn("skipping an unreadable entry", "path", path, "error", err.Error())
			*skipped++
			return nil // for a folder: its contents are skipped
		}
		if entry.IsDir() {
			if path != root && skippedDirs[entry.Name()] {
				return filepath.SkipDir
			}
			return nil
		}
		return add(path, entry)
	})
}

// gitFiles visits the files git would track under root: tracked ones and new
// ones .gitignore does not exclude (so virtual environments, node_modules and
// build output are left out); a tracked file deleted since is skipped.
func gitFiles(ctx context.Context, root string, add func(string, fs.DirEntry) error) error {
	cmd := exec.CommandContext(ctx, "git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf(`option "git": git ls-files in %s failed (%v): %s`, root, err, strings.TrimSpace(stderr.String()))
	}
	seen := map[string]bool{}
	for _, rel := range strings.Split(string(out), "\x00") {
		if rel == "" || seen[rel] {
			continue
		}
		seen[rel] = true
		path := filepath.Join(root, filepath.FromSlash(rel))
		info, err := os.Lstat(path)
		if err != nil || info.IsDir() {
			continue // deleted since it was committed, or a submodule
		}
		if err := add(path, fs.FileInfoToDirEntry(info)); err != nil {
			return err
		}
	}
	return nil
}

func dataObject(root, path string, entry fs.DirEntry) (*c1.DataObject, error) {
	info, err := entry.Info()
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, path)
	if err != nil {
		return nil, err
	}
	metadata, err := json.Marshal(struct {
		Size       int64  `json:"size"`
		Mode       string `json:"mode"`
		ModifiedAt string `json:"modified_at"`
		Extension  string `json:"extension"`
	}{info.Size(), info.Mode().String(), info.ModTime().UTC().Format(time.RFC3339), filepath.Ext(path)})
	if err != nil {
		return nil, err
	}
	return &c1.DataObject{
		RemoteId:     filepath.ToSlash(rel),
		ResourceName: entry.Name(),
		Uri:          (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String(),
		Metadata:     string(metadata),
	}, nil
}

func main() {
	sluice.Log = hclog.New(&hclog.LoggerOptions{Name: "files", Level: hclog.Info, Output: os.Stderr, JSONFormat: true})
	sluice.ServeC1(connector{logger: sluice.Log})
}
