package sluice

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/sluice-dev/sluice/sdk/go/gen/c1"
)

// C1Handshake is c1-core's go-plugin handshake: a connector served with it
// runs under c1-core's own host as well as Sluice.
var C1Handshake = plugin.HandshakeConfig{ProtocolVersion: 1, MagicCookieKey: "BASIC_PLUGIN", MagicCookieValue: "hello"}

// C1Connector is a connector on c1-core's contract: one Sync that sends every
// object through pages and returns EndSync's metadata (JSON text by
// convention). There is no spec, check, discover or state.
type C1Connector interface {
	Sync(ctx context.Context, options string, pages *C1Pages) (metadata string, err error)
}

// C1Pages sends pages of DataObjects to the host's CallbackHandler.
type C1Pages struct {
	ctx  context.Context
	host c1.CallbackHandlerClient
	sent int
}

// Upsert sends one page and returns once the host has stored it.
func (p *C1Pages) Upsert(objects []*c1.DataObject) error {
	if _, err := p.host.Upsert(p.ctx, &c1.SyncResponse{Response: objects}); err != nil {
		return fmt.Errorf("upsert of page %d failed: %w", p.sent+1, err)
	}
	p.sent++
	return nil
}

// ServeC1 runs a c1-core connector as a go-plugin plugin (c1-core's handshake)
// until the host stops it. Errors returned by Sync reach the host with their
// message; InvalidOptions becomes INVALID_ARGUMENT.
func ServeC1(c C1Connector) {
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: C1Handshake,
		Plugins:         plugin.PluginSet{PluginName: &C1GRPCPlugin{Impl: c}},
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          Log,
	})
}

// C1GRPCPlugin binds a C1Connector to go-plugin; the host side dials back
// through the broker for the CallbackHandler.
type C1GRPCPlugin struct {
	plugin.Plugin
	Impl C1Connector
}

// GRPCServer registers the connector on the plugin's gRPC server.
func (p *C1GRPCPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	c1.RegisterConnectorServer(s, &c1Server{impl: p.Impl, broker: broker})
	return nil
}

// GRPCClient returns a *C1Host.
func (p *C1GRPCPlugin) GRPCClient(_ context.Context, broker *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return &C1Host{Connector: c1.NewConnectorClient(c), Broker: broker}, nil
}

// C1Host is a Go host's side of a c1-core plugin: the connector's client and
// the broker through which the host serves its CallbackHandler.
type C1Host struct {
	Connector c1.ConnectorClient
	Broker    *plugin.GRPCBroker
}

// Sync serves callback on the broker and runs the connector's Sync with it.
func (h *C1Host) Sync(ctx context.Context, options string, callback c1.CallbackHandlerServer) (*c1.EndSync, error) {
	id := h.Broker.NextId()
	go h.Broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
		s := grpc.NewServer(opts...)
		c1.RegisterCallbackHandlerServer(s, callback)
		return s
	})
	return h.Connector.Sync(ctx, &c1.SyncRequest{Options: options, CallbackHandlerServer: id})
}

type c1Server struct {
	c1.UnimplementedConnectorServer
	impl   C1Connector
	broker *plugin.GRPCBroker
}

func (s *c1Server) Sync(ctx context.Context, req *c1.SyncRequest) (*c1.EndSync, error) {
	conn, err := s.broker.Dial(req.GetCallbackHandlerServer())
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "dial the host's CallbackHandler (broker id %d): %v", req.GetCallbackHandlerServer(), err)
	}
	defer conn.Close()
	metadata, err := s.impl.Sync(ctx, req.GetOptions(), &C1Pages{ctx: ctx, host: c1.NewCallbackHandlerClient(conn)})
	if err != nil {
		return nil, toStatus(err)
	}
	return &c1.EndSync{Metadata: metadata}, nil
}
