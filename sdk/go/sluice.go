// Package sluice is the Go SDK for Sluice's native connector protocol
// (proto/sluice/v1). Implement Connector and call Serve from main: the binary
// becomes a hashicorp/go-plugin plugin that Sluice (or any go-plugin host
// speaking sluice.v1) runs as a subprocess.
package sluice

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sluicev1 "github.com/sluice-dev/sluice/sdk/go/gen/sluicev1"
)

// Handshake is the go-plugin handshake of the native protocol.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "SLUICE_PLUGIN",
	MagicCookieValue: "7c3e1f5a9b2d4e6f8a0c1b3d5e7f9a2c",
}

// PluginName is the name the connector is registered under in go-plugin's plugin map.
const PluginName = "connector"

// SyncMode says how a stream is read.
type SyncMode string

const (
	FullRefresh SyncMode = "full_refresh"
	Incremental SyncMode = "incremental"
)

// Spec describes the connector; OptionsSchema is a JSON Schema (any JSON-marshalable value).
type Spec struct {
	Name          string
	Version       string
	Description   string
	OptionsSchema any
}

// Stream is one kind of record the connector can read.
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

// ReadRequest carries the options, the selected streams and the last
// checkpointed state (nil on a first run).
type ReadRequest struct {
	Options string
	Streams []StreamSelection
	State   json.RawMessage
}

// Connector is what a connector implements.
type Connector interface {
	Spec(ctx context.Context) (Spec, error)
	// Check returns the problems with the options, each naming the option; none when fine.
	Check(ctx context.Context, options string) ([]string, error)
	Discover(ctx context.Context, options string) ([]Stream, error)
	Read(ctx context.Context, req ReadRequest, w *PageWriter) error
}

// InvalidOptions marks an error caused by bad options (reported as INVALID_ARGUMENT).
type InvalidOptions struct{ Reason string }

func (e InvalidOptions) Error() string { return e.Reason }

// Serve runs the connector as a go-plugin plugin until the host stops it.
func Serve(c Connector) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{PluginName: &GRPCPlugin{Impl: c}},
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}

// GRPCPlugin binds a Connector to go-plugin; hosts written in Go use its client half.
type GRPCPlugin struct {
	plugin.Plugin
	Impl Connector
}

func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	sluicev1.RegisterConnectorServer(s, &server{impl: p.Impl})
	return nil
}

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
		mode := FullRefresh
		if sel.GetSyncMode() == sluicev1.SyncMode_SYNC_MODE_INCREMENTAL {
			mode = Incremental
		}
		read.Streams = append(read.Streams, StreamSelection{Name: sel.GetName(), SyncMode: mode})
	}
	return toStatus(s.impl.Read(stream.Context(), read, &PageWriter{out: stream}))
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

func jsonText(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	if s, ok := v.(string); ok {
		return s, nil
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
	if asInvalid(err, &invalid) {
		return status.Error(codes.InvalidArgument, err.Error())
	}
	return status.Error(codes.Internal, fmt.Sprint(err))
}
