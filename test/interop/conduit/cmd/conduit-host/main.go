// conduit-host drives a standalone Conduit connector with the upstream client
// of conduit-connector-protocol, the way Conduit does: one process per
// dispensed plugin, specify, then the source (configure, OnCreated, open, run
// with acks in order, stop, drain to the last position, teardown) and the
// destination (configure, OnCreated, open, run: records out, acks in, stop
// at the last position, teardown). Prints a JSON report on stdout.
//
//	conduit-host -plugin ./connector -source-config count=20 -dest-config path=/tmp/out.jsonl -records 20
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/conduitio/conduit-commons/config"
	"github.com/conduitio/conduit-commons/opencdc"
	"github.com/conduitio/conduit-connector-protocol/pconnector"
	"github.com/conduitio/conduit-connector-protocol/pconnector/client"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
)

type pairs map[string]string

func (p pairs) String() string { return fmt.Sprint(map[string]string(p)) }
func (p pairs) Set(v string) error {
	key, value, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want key=value, got %q", v)
	}
	p[key] = value
	return nil
}

type report struct {
	Name            string   `json:"name"`
	Version         string   `json:"version"`
	Author          string   `json:"author"`
	SourceParams    []string `json:"sourceParams"`
	DestParams      []string `json:"destinationParams"`
	Received        int      `json:"received"`
	Acked           int      `json:"acked"`
	LastPosition    string   `json:"lastPosition"`
	Payloads        []string `json:"payloads"`
	Written         int      `json:"written"`
	DestAcked       int      `json:"destinationAcked"`
	DestAckErrors   []string `json:"destinationAckErrors"`
	ProtocolVersion int      `json:"protocolVersion"`
}

func main() {
	pluginPath := flag.String("plugin", "", "connector executable")
	records := flag.Int("records", 10, "records to read before stopping the source")
	sourceConfig, destConfig := pairs{}, pairs{}
	flag.Var(sourceConfig, "source-config", "source config key=value (repeatable)")
	flag.Var(destConfig, "dest-config", "destination config key=value (repeatable); none = skip the destination")
	flag.Parse()
	if err := run(*pluginPath, *records, sourceConfig, destConfig); err != nil {
		fmt.Fprintln(os.Stderr, "conduit-host:", err)
		os.Exit(1)
	}
}

// stderrLogger gives pconnector's client the writer it asks for with nil
// options (Conduit passes its own logger, which accepts that).
type stderrLogger struct{ hclog.Logger }

func (l stderrLogger) StandardWriter(opts *hclog.StandardLoggerOptions) io.Writer {
	if opts == nil {
		opts = &hclog.StandardLoggerOptions{}
	}
	return l.Logger.StandardWriter(opts)
}

func dispense(path, name string) (*plugin.Client, any, error) {
	logger := stderrLogger{hclog.New(&hclog.LoggerOptions{Output: os.Stderr, Level: hclog.Info})}
	c, err := client.New(logger, path,
		client.WithEnvVar("CONDUIT_CONNECTOR_ID", "conduit-host:"+name),
		client.WithEnvVar("CONDUIT_CONNECTOR_TOKEN", "irrelevant-token"),
		client.WithEnvVar("CONDUIT_CONNECTOR_UTILITIES_GRPC_TARGET", "127.0.0.1:1"),
	)
	if err != nil {
		return nil, nil, err
	}
	rpc, err := c.Client()
	if err != nil {
		c.Kill()
		return nil, nil, err
	}
	raw, err := rpc.Dispense(name)
	if err != nil {
		c.Kill()
		return nil, nil, err
	}
	return c, raw, nil
}

func run(path string, want int, sourceConfig, destConfig pairs) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out report

	specClient, raw, err := dispense(path, "specifier")
	if err != nil {
		return fmt.Errorf("specifier: %w", err)
	}
	spec, err := raw.(pconnector.SpecifierPlugin).Specify(ctx, pconnector.SpecifierSpecifyRequest{})
	out.ProtocolVersion = specClient.NegotiatedVersion()
	specClient.Kill()
	if err != nil {
		return fmt.Errorf("specify: %w", err)
	}
	s := spec.Specification
	out.Name, out.Version, out.Author = s.Name, s.Version, s.Author
	for name := range s.SourceParams {
		out.SourceParams = append(out.SourceParams, name)
	}
	for name := range s.DestinationParams {
		out.DestParams = append(out.DestParams, name)
	}

	read, err := runSource(ctx, path, want, config.Config(sourceConfig), &out)
	if err != nil {
		return fmt.Errorf("source: %w", err)
	}
	if len(destConfig) > 0 {
		if err := runDestination(ctx, path, read, config.Config(destConfig), &out); err != nil {
			return fmt.Errorf("destination: %w", err)
		}
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

func runSource(ctx context.Context, path string, want int, cfg config.Config, out *report) ([]opencdc.Record, error) {
	c, raw, err := dispense(path, "source")
	if err != nil {
		return nil, err
	}
	defer c.Kill()
	src := raw.(pconnector.SourcePlugin)
	if _, err := src.Configure(ctx, pconnector.SourceConfigureRequest{Config: cfg}); err != nil {
		return nil, fmt.Errorf("configure: %w", err)
	}
	if _, err := src.LifecycleOnCreated(ctx, pconnector.SourceLifecycleOnCreatedRequest{Config: cfg}); err != nil {
		return nil, fmt.Errorf("lifecycle on created: %w", err)
	}
	if _, err := src.Open(ctx, pconnector.SourceOpenRequest{}); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	stream := src.(interface{ NewStream() pconnector.SourceRunStream }).NewStream()
	if err := src.Run(runCtx, stream); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	var records []opencdc.Record
	receive := func() error {
		resp, err := stream.Client().Recv()
		if err != nil {
			return err
		}
		positions := make([]opencdc.Position, 0, len(resp.Records))
		for _, r := range resp.Records {
			records = append(records, r)
			positions = append(positions, r.Position)
			out.Payloads = append(out.Payloads, string(r.Payload.After.Bytes()))
		}
		out.Received += len(resp.Records)
		if err := stream.Client().Send(pconnector.SourceRunRequest{AckPositions: positions}); err != nil {
			return err
		}
		out.Acked += len(positions)
		return nil
	}
	for out.Received < want {
		if err := receive(); err != nil {
			return nil, fmt.Errorf("receive: %w", err)
		}
	}
	stopped, err := src.Stop(ctx, pconnector.SourceStopRequest{})
	if err != nil {
		return nil, fmt.Errorf("stop: %w", err)
	}
	out.LastPosition = string(stopped.LastPosition)
	// Drain: keep the stream open until the record at the last position has arrived.
	for len(stopped.LastPosition) > 0 && string(records[len(records)-1].Position) != string(stopped.LastPosition) {
		if err := receive(); err != nil {
			return nil, fmt.Errorf("drain: %w", err)
		}
	}
	stopRun()
	if _, err := src.Teardown(ctx, pconnector.SourceTeardownRequest{}); err != nil {
		return nil, fmt.Errorf("teardown: %w", err)
	}
	return records, nil
}

func runDestination(ctx context.Context, path string, records []opencdc.Record, cfg config.Config, out *report) error {
	c, raw, err := dispense(path, "destination")
	if err != nil {
		return err
	}
	defer c.Kill()
	dst := raw.(pconnector.DestinationPlugin)
	if _, err := dst.Configure(ctx, pconnector.DestinationConfigureRequest{Config: cfg}); err != nil {
		return fmt.Errorf("configure: %w", err)
	}
	if _, err := dst.LifecycleOnCreated(ctx, pconnector.DestinationLifecycleOnCreatedRequest{Config: cfg}); err != nil {
		return fmt.Errorf("lifecycle on created: %w", err)
	}
	if _, err := dst.Open(ctx, pconnector.DestinationOpenRequest{}); err != nil {
		return fmt.Errorf("open: %w", err)
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	stream := dst.(interface{ NewStream() pconnector.DestinationRunStream }).NewStream()
	if err := dst.Run(runCtx, stream); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	for start := 0; start < len(records); start += 7 {
		batch := records[start:min(start+7, len(records))]
		if err := stream.Client().Send(pconnector.DestinationRunRequest{Records: batch}); err != nil {
			return fmt.Errorf("send: %w", err)
		}
		out.Written += len(batch)
	}
	if _, err := dst.Stop(ctx, pconnector.DestinationStopRequest{LastPosition: records[len(records)-1].Position}); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	for out.DestAcked < out.Written {
		resp, err := stream.Client().Recv()
		if err != nil {
			return fmt.Errorf("receive acks: %w", err)
		}
		for _, ack := range resp.Acks {
			out.DestAcked++
			if ack.Error != "" {
				out.DestAckErrors = append(out.DestAckErrors, ack.Error)
			}
		}
	}
	stopRun()
	if _, err := dst.Teardown(ctx, pconnector.DestinationTeardownRequest{}); err != nil {
		return fmt.Errorf("teardown: %w", err)
	}
	return nil
}
