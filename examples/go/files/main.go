// Command files is a c1-core connector for a local folder, the counterpart of
// c1-core's S3 example: one DataObject per file (RemoteID = path relative to
// the root), sent page by page through the host's CallbackHandler, dialled
// over the go-plugin broker. It uses hashicorp/go-plugin directly with
// c1-core's handshake and the c1-core proto (proto/c1/connector.proto), so any
// c1-core host runs it — and Sluice does.
//
// Options (JSON): root (default "."), page_size (default 100),
// fail_after_pages (exit 3 after k pages: for crash tests).
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/sluice-dev/sluice/sdk/go/gen/c1"
)

var handshake = plugin.HandshakeConfig{ProtocolVersion: 1, MagicCookieKey: "BASIC_PLUGIN", MagicCookieValue: "hello"}

type options struct {
	Root           string `json:"root"`
	PageSize       int    `json:"page_size"`
	FailAfterPages int    `json:"fail_after_pages"`
}

type connectorPlugin struct {
	plugin.Plugin
	logger hclog.Logger
}

func (p *connectorPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	c1.RegisterConnectorServer(s, &connector{broker: broker, logger: p.logger})
	return nil
}

func (p *connectorPlugin) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (interface{}, error) {
	return nil, fmt.Errorf("files is a plugin, not a host")
}

type connector struct {
	c1.UnimplementedConnectorServer
	broker *plugin.GRPCBroker
	logger hclog.Logger
}

func (c *connector) Sync(ctx context.Context, req *c1.SyncRequest) (*c1.EndSync, error) {
	opts := options{Root: ".", PageSize: 100}
	if req.GetOptions() != "" {
		if err := json.Unmarshal([]byte(req.GetOptions()), &opts); err != nil {
			return nil, fmt.Errorf("options must be JSON like {\"root\": \"<folder>\"}: %w", err)
		}
	}
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, err
	}
	if info, err := os.Stat(root); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("option \"root\": %s is not a folder", opts.Root)
	}
	conn, err := c.broker.Dial(req.GetCallbackHandlerServer())
	if err != nil {
		return nil, fmt.Errorf("dial the host's callback: %w", err)
	}
	defer conn.Close()
	host := c1.NewCallbackHandlerClient(conn)

	var page []*c1.DataObject
	pages, objects := 0, 0
	flush := func() error {
		if len(page) == 0 {
			return nil
		}
		if opts.FailAfterPages > 0 && pages == opts.FailAfterPages {
			fmt.Fprintf(os.Stderr, "files: failing on purpose after %d pages (fail_after_pages)\n", pages)
			time.Sleep(100 * time.Millisecond) // go-plugin forwards os.Stderr asynchronously
			os.Exit(3)
		}
		// Unlike c1-core's S3 example, a page the host could not store fails the sync.
		if _, err := host.Upsert(ctx, &c1.SyncResponse{Response: page}); err != nil {
			return fmt.Errorf("upsert page %d: %w", pages+1, err)
		}
		pages++
		objects += len(page)
		page = page[:0]
		return nil
	}
	err = filepath.WalkDir(root, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if entry.IsDir() {
			if path != root && (entry.Name() == ".git" || entry.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		object, err := dataObject(root, path, entry)
		if err != nil {
			return err
		}
		page = append(page, object)
		if len(page) >= opts.PageSize {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return nil, err
	}
	c.logger.Info("sync finished", "objects", objects, "pages", pages)
	end, _ := json.Marshal(map[string]any{"message": "success", "objects": objects, "pages": pages})
	return &c1.EndSync{Metadata: string(end)}, nil
}

func dataObject(root, path string, entry fs.DirEntry) (*c1.DataObject, error) {
	info, err := entry.Info()
	if err != nil {
		return nil, err
	}
	rel, _ := filepath.Rel(root, path)
	metadata, _ := json.Marshal(map[string]any{
		"size":        info.Size(),
		"mode":        info.Mode().String(),
		"modified_at": info.ModTime().UTC().Format(time.RFC3339),
		"extension":   filepath.Ext(path),
	})
	return &c1.DataObject{
		RemoteId:     filepath.ToSlash(rel),
		ResourceName: entry.Name(),
		Uri:          "file://" + filepath.ToSlash(path),
		Metadata:     string(metadata),
	}, nil
}

func main() {
	logger := hclog.New(&hclog.LoggerOptions{Name: "files", Level: hclog.Info, Output: os.Stderr, JSONFormat: true})
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: handshake,
		Plugins:         map[string]plugin.Plugin{"connector": &connectorPlugin{logger: logger}},
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          logger,
	})
}
