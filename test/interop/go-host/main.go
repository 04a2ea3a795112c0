// Command go-host is the upstream side of the interop tests: a go-plugin HOST
// on the real hashicorp/go-plugin client, as c1-core's host is. It runs one
// connector (in any language) and prints one JSON line of what it received.
//
//	go-host [flags] -- <program> [args…]      run the program directly
//	go-host [flags] -- '<shell command>'      one argument that is not a file: run through sh -c
//	go-host [flags] --cmd '<shell command>'   run through sh -c, as c1-core does
//
// Default (c1-core, BASIC_PLUGIN=hello): serve CallbackHandler on a broker id,
// call Sync with --options, count the Upsert pages, print
//
//	{"pages":P,"objects":N,"end_metadata":"…","remote_ids_sample":[first 3 ids]}
//
// --native (Sluice, SLUICE_PLUGIN): call Spec, Discover and Read (with --state),
// print
//
//	{"spec_name":"…","streams":[…],"pages":P,"records":N,"checkpoints":C,"state":"<last checkpoint>"}
//
// On failure: the error on stderr, exit code 1. The plugin is always killed.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	sluice "github.com/sluice-dev/sluice/sdk/go"
	"github.com/sluice-dev/sluice/sdk/go/gen/c1"
	"github.com/sluice-dev/sluice/sdk/go/gen/sluicev1"
)

// c1Handshake is c1-core's go-plugin handshake.
var c1Handshake = plugin.HandshakeConfig{ProtocolVersion: 1, MagicCookieKey: "BASIC_PLUGIN", MagicCookieValue: "hello"}

const usage = `usage: go-host [--native] [--options '<raw>'] [--state '<json>'] [--auto-mtls] [--timeout 60s]
               [--fail-upsert-at N] [--verbose] (--cmd '<shell command>' | -- <command> [args…])`

func main() {
	native := flag.Bool("native", false, "drive a Sluice-native connector (SLUICE_PLUGIN) instead of a c1-core one")
	options := flag.String("options", "", "the raw options string given to the connector")
	state := flag.String("state", "", "--native: the state handed to Read")
	shell := flag.String("cmd", "", "a shell command, run through sh -c (as c1-core does)")
	autoMTLS := flag.Bool("auto-mtls", false, "use go-plugin AutoMTLS")
	timeout := flag.Duration("timeout", 0, "give up after this long (0: never)")
	failUpsertAt := flag.Int("fail-upsert-at", 0, "c1-core: refuse the N-th Upsert with an error (tests a connector's error path)")
	verbose := flag.Bool("verbose", false, "log go-plugin and the plugin's log lines at debug level")
	flag.Usage = func() { fmt.Fprintln(os.Stderr, usage); flag.PrintDefaults() }
	flag.Parse()

	var cmd *exec.Cmd
	switch {
	case *shell != "" && flag.NArg() == 0:
		cmd = exec.Command("sh", "-c", *shell)
	case *shell == "" && flag.NArg() == 1 && !isFile(flag.Arg(0)):
		cmd = exec.Command("sh", "-c", flag.Arg(0)) // one command string, like c1-core's manifest "command"
	case *shell == "" && flag.NArg() > 0:
		cmd = exec.Command(flag.Arg(0), flag.Args()[1:]...)
	default:
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}

	level := hclog.Warn
	if *verbose {
		level = hclog.Debug
	}
	handshake, plugins := c1Handshake, map[string]plugin.Plugin{"connector": c1Plugin{}}
	if *native {
		handshake, plugins = sluice.Handshake, map[string]plugin.Plugin{sluice.PluginName: &sluice.GRPCPlugin{}}
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  handshake,
		Plugins:          plugins,
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         *autoMTLS,
		SyncStderr:       os.Stderr, // what the plugin writes to its os.Stderr (GRPCStdio)
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "go-host", Output: os.Stderr, Level: level}),
	})

	ctx := context.Background()
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	result, err := drive(ctx, client, *native, *options, *state, *failUpsertAt)
	client.Kill()
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-host:", err)
		os.Exit(1)
	}
	out, _ := json.Marshal(result)
	fmt.Println(string(out))
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir()
}

func drive(ctx context.Context, client *plugin.Client, native bool, options, state string, failUpsertAt int) (any, error) {
	rpc, err := client.Client()
	if err != nil {
		return nil, err
	}
	raw, err := rpc.Dispense("connector")
	if err != nil {
		return nil, err
	}
	if native {
		return driveNative(ctx, raw.(sluicev1.ConnectorClient), options, state)
	}
	return driveC1(ctx, raw.(*c1Client), options, failUpsertAt)
}

// c1Plugin is the host half of c1-core's "connector" plugin.
type c1Plugin struct{ plugin.Plugin }

type c1Client struct {
	connector c1.ConnectorClient
	broker    *plugin.GRPCBroker
}

func (c1Plugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return errors.New("go-host is a host, not a plugin")
}

func (c1Plugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return &c1Client{connector: c1.NewConnectorClient(conn), broker: broker}, nil
}

// callback is the CallbackHandler the host serves for one Sync.
type callback struct {
	c1.UnimplementedCallbackHandlerServer
	mu      sync.Mutex
	failAt  int
	upserts int
	pages   int
	objects int
	sample  []string
}

func (cb *callback) Upsert(_ context.Context, page *c1.SyncResponse) (*c1.Empty, error) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	cb.upserts++
	if cb.upserts == cb.failAt {
		return nil, fmt.Errorf("go-host refuses Upsert %d (--fail-upsert-at)", cb.failAt)
	}
	cb.pages++
	for _, o := range page.GetResponse() {
		cb.objects++
		if len(cb.sample) < 3 {
			cb.sample = append(cb.sample, o.GetRemoteId())
		}
	}
	return &c1.Empty{}, nil
}

// Clean is in c1-core's contract; its host does nothing with it, nor does this one.
func (cb *callback) Clean(context.Context, *c1.Empty) (*c1.Empty, error) { return &c1.Empty{}, nil }

type c1Result struct {
	Pages           int      `json:"pages"`
	Objects         int      `json:"objects"`
	EndMetadata     string   `json:"end_metadata"`
	RemoteIDsSample []string `json:"remote_ids_sample"`
}

func driveC1(ctx context.Context, client *c1Client, options string, failUpsertAt int) (*c1Result, error) {
	handler := &callback{failAt: failUpsertAt}
	id := client.broker.NextId()
	go client.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		server := grpc.NewServer(opts...)
		c1.RegisterCallbackHandlerServer(server, handler)
		return server
	})
	end, err := client.connector.Sync(ctx, &c1.SyncRequest{Options: options, CallbackHandlerServer: id})
	if err != nil {
		return nil, fmt.Errorf("Sync: %w", err)
	}
	handler.mu.Lock()
	defer handler.mu.Unlock()
	return &c1Result{Pages: handler.pages, Objects: handler.objects, EndMetadata: end.GetMetadata(), RemoteIDsSample: append([]string{}, handler.sample...)}, nil
}

type nativeResult struct {
	SpecName    string   `json:"spec_name"`
	Streams     []string `json:"streams"`
	Pages       int      `json:"pages"`
	Records     int      `json:"records"`
	Checkpoints int      `json:"checkpoints"`
	State       string   `json:"state"`
}

func driveNative(ctx context.Context, client sluicev1.ConnectorClient, options, state string) (*nativeResult, error) {
	spec, err := client.Spec(ctx, &sluicev1.SpecRequest{})
	if err != nil {
		return nil, fmt.Errorf("Spec: %w", err)
	}
	discovered, err := client.Discover(ctx, &sluicev1.DiscoverRequest{Options: options})
	if err != nil {
		return nil, fmt.Errorf("Discover: %w", err)
	}
	result := &nativeResult{SpecName: spec.GetName(), Streams: []string{}}
	for _, s := range discovered.GetStreams() {
		result.Streams = append(result.Streams, s.GetName())
	}
	read, err := client.Read(ctx, &sluicev1.ReadRequest{Options: options, State: state})
	if err != nil {
		return nil, fmt.Errorf("Read: %w", err)
	}
	for {
		message, err := read.Recv()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("Read, after %d pages: %w", result.Pages, err)
		}
		checkpoint := message.GetCheckpoint()
		if page := message.GetPage(); page != nil {
			switch records := page.GetRecords().(type) {
			case *sluicev1.Page_Json:
				var rows []json.RawMessage
				if err := json.Unmarshal(records.Json.GetArray(), &rows); err != nil {
					return nil, fmt.Errorf("page %d of stream %q is not a JSON array: %w", result.Pages+1, page.GetStream(), err)
				}
				result.Records += len(rows)
			case *sluicev1.Page_Columns:
				result.Records += int(records.Columns.GetRowCount())
			}
			result.Pages++
			checkpoint = page.GetCheckpoint()
		}
		if checkpoint != nil {
			result.Checkpoints++
			result.State = checkpoint.GetState()
		}
	}
	return result, nil
}
