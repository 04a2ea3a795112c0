// Command go-host is the upstream side of the interop tests: a go-plugin HOST
// built on the real hashicorp/go-plugin client, as c1-core's host is. It runs
// a connector (any language), and prints one JSON line of what it received.
//
//	go-host [--native] [--auto-mtls] --options '<raw>' -- <shell command>
//
// Default: c1-core (BASIC_PLUGIN=hello): serve CallbackHandler on a broker id,
// call Sync, count Upsert pages. --native: Sluice's protocol: Spec, Discover, Read.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	sluice "github.com/sluice-dev/sluice/sdk/go"
	"github.com/sluice-dev/sluice/sdk/go/gen/c1"
	"github.com/sluice-dev/sluice/sdk/go/gen/sluicev1"
)

type c1Plugin struct{ plugin.Plugin }

type c1Client struct {
	connector c1.ConnectorClient
	broker    *plugin.GRPCBroker
}

func (c1Plugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return fmt.Errorf("host only") }

func (c1Plugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return &c1Client{connector: c1.NewConnectorClient(conn), broker: broker}, nil
}

type callback struct {
	c1.UnimplementedCallbackHandlerServer
	mu      sync.Mutex
	pages   int
	objects int
	sample  []string
}

func (cb *callback) Upsert(_ context.Context, page *c1.SyncResponse) (*c1.Empty, error) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	cb.pages++
	for _, o := range page.GetResponse() {
		cb.objects++
		if len(cb.sample) < 3 {
			cb.sample = append(cb.sample, o.GetRemoteId())
		}
	}
	return &c1.Empty{}, nil
}

func main() {
	native := flag.Bool("native", false, "drive a Sluice-native connector instead of a c1-core one")
	autoMTLS := flag.Bool("auto-mtls", false, "use go-plugin AutoMTLS")
	options := flag.String("options", "", "options passed to the connector")
	flag.Parse()
	command := strings.Join(flag.Args(), " ")
	if command == "" {
		fail(fmt.Errorf("usage: go-host [--native] [--auto-mtls] --options '<raw>' -- <command>"))
	}
	handshake := plugin.HandshakeConfig{ProtocolVersion: 1, MagicCookieKey: "BASIC_PLUGIN", MagicCookieValue: "hello"}
	plugins := map[string]plugin.Plugin{"connector": c1Plugin{}}
	if *native {
		handshake = sluice.Handshake
		plugins = map[string]plugin.Plugin{sluice.PluginName: &sluice.GRPCPlugin{}}
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake,
		Plugins:          plugins,
		Cmd:              exec.Command("sh", "-c", command),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         *autoMTLS,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "go-host", Output: os.Stderr, Level: hclog.Warn}),
	})
	defer client.Kill()
	rpc, err := client.Client()
	if err != nil {
		fail(err)
	}
	raw, err := rpc.Dispense("connector")
	if err != nil {
		fail(err)
	}
	var result map[string]any
	if *native {
		result, err = driveNative(raw.(sluicev1.ConnectorClient), *options)
	} else {
		result, err = driveC1(raw.(*c1Client), *options)
	}
	if err != nil {
		fail(err)
	}
	json.NewEncoder(os.Stdout).Encode(result)
}

func driveC1(client *c1Client, options string) (map[string]any, error) {
	handler := &callback{}
	id := client.broker.NextId()
	go client.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		server := grpc.NewServer(opts...)
		c1.RegisterCallbackHandlerServer(server, handler)
		return server
	})
	end, err := client.connector.Sync(context.Background(), &c1.SyncRequest{Options: options, CallbackHandlerServer: id})
	if err != nil {
		return nil, err
	}
	handler.mu.Lock()
	defer handler.mu.Unlock()
	return map[string]any{"pages": handler.pages, "objects": handler.objects, "end_metadata": end.GetMetadata(), "remote_ids_sample": handler.sample}, nil
}

func driveNative(client sluicev1.ConnectorClient, options string) (map[string]any, error) {
	ctx := context.Background()
	spec, err := client.Spec(ctx, &sluicev1.SpecRequest{})
	if err != nil {
		return nil, err
	}
	discovered, err := client.Discover(ctx, &sluicev1.DiscoverRequest{Options: options})
	if err != nil {
		return nil, err
	}
	var streams []string
	for _, s := range discovered.GetStreams() {
		streams = append(streams, s.GetName())
	}
	read, err := client.Read(ctx, &sluicev1.ReadRequest{Options: options})
	if err != nil {
		return nil, err
	}
	pages, records, checkpoints := 0, 0, 0
	for {
		message, err := read.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if page := message.GetPage(); page != nil {
			var rows []json.RawMessage
			if err := json.Unmarshal(page.GetJson().GetArray(), &rows); err != nil {
				return nil, fmt.Errorf("page %d is not a JSON array: %w", pages+1, err)
			}
			pages++
			records += len(rows)
			if page.GetCheckpoint() != nil {
				checkpoints++
			}
		}
	}
	return map[string]any{"spec_name": spec.GetName(), "streams": streams, "pages": pages, "records": records, "checkpoints": checkpoints}, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "go-host:", err)
	os.Exit(1)
}
