package sluice

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"
)

// parentCheck is how often the plugin looks whether its parent process is still there.
const parentCheck = time.Second

// hostWatch ends the plugin when its host is gone, so that a host killed with
// kill -9 (or crashed) does not leave it running forever. go-plugin hosts give
// a plugin no pipe to watch (stdin is the host's own, stdout was only for the
// handshake), but they connect once, right after the handshake, and keep that
// connection (with the broker stream on it) until they stop the plugin: its
// end means the host closed it or died. Before the host has connected, only
// the parent process can tell: an orphaned plugin is adopted by another one.
type hostWatch struct {
	mu          sync.Mutex
	connections int
	once        sync.Once
	exit        func(reason string)
}

func newHostWatch() *hostWatch {
	w := &hostWatch{exit: func(reason string) {
		Log.Info("the host is gone, so the plugin exits", "reason", reason)
		os.Exit(0)
	}}
	parent := os.Getppid()
	go func() {
		for range time.Tick(parentCheck) {
			if os.Getppid() != parent {
				w.gone("its parent process has ended")
			}
		}
	}()
	return w
}

// grpcServer is go-plugin's default gRPC server, with the watch on its connections.
func (w *hostWatch) grpcServer(opts []grpc.ServerOption) *grpc.Server {
	return plugin.DefaultGRPCServer(append(opts, grpc.StatsHandler(w)))
}

func (w *hostWatch) gone(reason string) {
	w.once.Do(func() { w.exit(reason) })
}

// HandleConn counts the host's connections; when the last one ends, the host is gone.
func (w *hostWatch) HandleConn(_ context.Context, s stats.ConnStats) {
	w.mu.Lock()
	switch s.(type) {
	case *stats.ConnBegin:
		w.connections++
	case *stats.ConnEnd:
		w.connections--
	}
	last := w.connections == 0
	w.mu.Unlock()
	if _, ended := s.(*stats.ConnEnd); ended && last {
		w.gone("the host closed its connection")
	}
}

func (w *hostWatch) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context { return ctx }
func (w *hostWatch) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context   { return ctx }
func (w *hostWatch) HandleRPC(context.Context, stats.RPCStats)                         {}
