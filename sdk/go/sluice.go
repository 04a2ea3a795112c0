// Package sluice is the Go SDK for Sluice's native connector protocol
// (proto/sluice/v1). Implement Connector and call Serve from main: the binary
// becomes a hashicorp/go-plugin plugin that Sluice (or any go-plugin host
// speaking sluice.v1) runs as a subprocess.
package sluice

import (
	"context"
	"encoding/json"
	"errors"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sluice-dev/sluice/sdk/go/gen/sluicev1"
)

// Handshake is the go-plugin handshake of the native protocol.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "SLUICE_PLUGIN",
	MagicCookieValue: "7c3e1f5a9b2d4e6f8a0c1b3d5e7f9a2c",
}

// PluginName is the name the connector is registered under in go-plugin's plugin map.
const PluginName = "connector"

// Log is a structured logger writing hclog JSON lines to stderr, which the
// host shows as logs at their level. Replace it before Serve to change it.
var Log hclog.Logger = hclog.New(&hclog.LoggerOptions{
	Name:       "connector",
	Level:      hclog.Info,
	Output:     os.Stderr,
	JSONFormat: true,
})

// SyncMode says how a stream is read.
type SyncMode int

const (
	// Unspecified: the host did not say (it selected no stream explicitly).
	Unspecified SyncMode = iota
	// FullRefresh: read everything.
	FullRefresh
	// Incremental: read what changed since the state in ReadRequest.State.
	Incremental
)

func (m SyncMode) String() string {
	switch m {
	case FullRefresh:
		return "full_refresh"
	case Incremental:
		return "incremental"
	}
	return "unspecified"
}

// Spec describes the connector. OptionsSchema is the JSON Schema of the
// options: any JSON-marshalable value, or a string / json.RawMessage holding
// JSON text; nil when the options are free-form.
type Spec struct {
	Name          string
	Version       string
	Description   string
	OptionsSchema any
}

// Stream is one kind of record the connector can read. JSONSchema is the
// schema of one record (same forms as Spec.OptionsSchema). SyncModes defaults
// to FullRefresh.
type Stream struct {
	Name        string
	JSONSchema  any
	PrimaryKey  []string
	CursorField string
	SyncModes   []SyncMode
}

// StreamSelection is a stream the host asks for, and how.
type StreamSelection struct {
	Name     string
	SyncMode SyncMode
}

// ReadRequest carries the options, the selected streams (none: every stream)
// and the state last checkpointed (nil on a first run or a full refresh).
type ReadRequest struct {
	Options string
	Streams []StreamSelection
	State   json.RawMessage
}

// Selected reports whether stream is to be read, and how (Unspecified when
// the host selected no stream explicitly, which means every stream).
func (r ReadRequest) Selected(stream string) (bool, SyncMode) {
	if len(r.Streams) == 0 {
		return true, Unspecified
	}
	for _, s := range r.Streams {
		if s.Name == stream {
			return true, s.SyncMode
		}
	}
	return false, Unspecified
}

// LoadState decodes the checkpointed state into v. It returns false (and
// leaves v alone) when there is no state.
func (r ReadRequest) LoadState(v any) (bool, error) {
	if len(r.State) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(r.State, v); err != nil {
		return false, err
	}
	return true, nil
}

// Connector is what a connector implements.
type Connector interface {
	// Spec says what the connector is and which options it takes.
	Spec(ctx context.Context) (Spec, error)
	// Check returns the problems with the options, each naming the option at
	// fault; none when they work. err is for the check itself failing.
	Check(ctx context.Context, options string) (problems []string, err error)
	// Discover lists the streams readable with these options.
	Discover(ctx context.Context, options string) ([]Stream, error)
	// Read sends the selected streams' records through w, page by page.
	Read(ctx context.Context, req ReadRequest, w *PageWriter) error
}

// InvalidOptions is an error caused by bad options; the host gets it as
// INVALID_ARGUMENT.
type InvalidOptions struct{ Reason string }

func (e InvalidOptions) Error() string { return e.Reason }

// Serve runs the connector as a go-plugin plugin until the host stops it, or
// is gone (see hostWatch). Run directly (without the host's magic cookie) it
// prints that it is a plugin and exits 1.
func Serve(c Connector) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{PluginName: &GRPCPlugin{Impl: c}},
		GRPCServer:      newHostWatch().grpcServer,
		Logger:          Log,
	})
}

// GRPCPlugin binds a Connector to go-plugin. Its client half gives Go hosts a
// sluicev1.ConnectorClient.
type GRPCPlugin struct {
	plugin.Plugin
	Impl Connector
}

// GRPCServer registers the connector on the plugin's gRPC server.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	sluicev1.RegisterConnectorServer(s, &server{impl: p.Impl})
	return nil
}

// GRPCClient returns a sluicev1.ConnectorClient.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return sluicev1.NewConnectorClient(c), nil
}

type server struct {
	sluicev1.UnimplementedConnectorServer
	impl Connector
}

func (s *server) Spec(ctx context.Context, _ *sluicev1.SpecRequest) (*sluicev1.SpecResponse, error) {
	spec, err := s.impl.Spec(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	schema, err := jsonText(spec.OptionsSchema)
	if err != nil {
		return nil, status.Errorf(codes.Internal, "options schema: %v", err)
	}
	return &sluicev1.SpecResponse{Name: spec.Name, Version: spec.Version, Description: spec.Description, OptionsSchema: schema}, nil
}

func (s *server) Check(ctx context.Context, req *sluicev1.CheckRequest) (*sluicev1.CheckResponse, error) {
	problems, err := s.impl.Check(ctx, req.GetOptions())
	if err != nil {
		return nil, toStatus(err)
	}
	return &sluicev1.CheckResponse{Ok: len(problems) == 0, Errors: problems}, nil
}

func (s *server) Discover(ctx context.Context, req *sluicev1.DiscoverRequest) (*sluicev1.DiscoverResponse, error) {
	streams, err := s.impl.Discover(ctx, req.GetOptions())
	if err != nil {
		return nil, toStatus(err)
	}
	out := &sluicev1.DiscoverResponse{}
	for _, st := range streams {
		schema, err := jsonText(st.JSONSchema)
		if err != nil {
			return nil, status.Errorf(codes.Internal, "schema of stream %q: %v", st.Name, err)
		}
		out.Streams = append(out.Streams, &sluicev1.Stream{
			Name: st.Name, JsonSchema: schema, PrimaryKey: st.PrimaryKey, CursorField: st.CursorField, SyncModes: wireModes(st.SyncModes),
		})
	}
	return out, nil
}

func (s *server) Read(req *sluicev1.ReadRequest, stream sluicev1.Connector_ReadServer) error {
	read := ReadRequest{Options: req.GetOptions()}
	if req.GetState() != "" {
		read.State = json.RawMessage(req.GetState())
	}
	for _, sel := range req.GetStreams() {
		read.Streams = append(read.Streams, StreamSelection{Name: sel.GetName(), SyncMode: fromWire(sel.GetSyncMode())})
	}
	return toStatus(s.impl.Read(stream.Context(), read, &PageWriter{out: stream}))
}

func fromWire(m sluicev1.SyncMode) SyncMode {
	switch m {
	case sluicev1.SyncMode_SYNC_MODE_FULL_REFRESH:
		return FullRefresh
	case sluicev1.SyncMode_SYNC_MODE_INCREMENTAL:
		return Incremental
	}
	return Unspecified
}

func wireModes(modes []SyncMode) []sluicev1.SyncMode {
	if len(modes) == 0 {
		modes = []SyncMode{FullRefresh}
	}
	out := make([]sluicev1.SyncMode, 0, len(modes))
	for _, m := range modes {
		if m == Incremental {
			out = append(out, sluicev1.SyncMode_SYNC_MODE_INCREMENTAL)
		} else {
			out = append(out, sluicev1.SyncMode_SYNC_MODE_FULL_REFRESH)
		}
	}
	return out
}

// jsonText turns a schema or state into JSON text: strings and
// json.RawMessage are taken as JSON text already, anything else is marshalled.
func jsonText(v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		if t != "" && !json.Valid([]byte(t)) {
			return "", errors.New("not valid JSON text")
		}
		return t, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	var invalid InvalidOptions
	switch {
	case errors.As(err, &invalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	return status.Error(codes.Unknown, err.Error())
}
