package sluice

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/stats"
)

// parentCheck is how often the plugin looks whether its parent process (and its host) is still there.
const parentCheck = time.Second

// runIDVariable names the Sluice process that started the plugin, "<pid>-<start ticks>"; Sluice
// sets it in every connector's environment (src/process/cleanup.ts).
const runIDVariable = "SLUICE_RUN_ID"

// hostWatch ends the plugin when its host is gone, so that a host killed with
// kill -9 (or crashed) does not leave it running forever. go-plugin hosts give
// a plugin no pipe to watch (stdin is the host's own, stdout was only for the
// handshake), but they connect once, right after the handshake, and keep that
// connection (with the broker stream on it) until they stop the plugin: its
// end means the host closed it or died. Before the host has connected, only
// the process tree can tell: an orphaned plugin is adopted by another parent,
// and, as Sluice runs connectors behind `sh -c` (a wrapper that outlives a
// killed host), the Sluice process named in SLUICE_RUN_ID ends.
type hostWatch struct {
	mu          sync.Mutex
	connections int
	once        sync.Once
	exit        func(reason string)
}

func newHostWatch() *hostWatch {
	w := &hostWatch{exit: func(reason string) {
		// Debug: a host that stops the plugin normally ends its connection too, so at info this
		// line would end every successful sync; a host killed with kill -9 reads no log anyway.
		Log.Debug("the host is gone, so the plugin exits", "reason", reason)
		os.Exit(0)
	}}
	parent := os.Getppid()
	host, watched := sluiceHost()
	go func() {
		for range time.Tick(parentCheck) {
			if os.Getppid() != parent {
				w.gone("its parent process has ended")
			}
			if watched && !host.running() {
				w.gone("the Sluice process that started it has ended")
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

// hostProcess is one process told apart from a later one given the same pid: its start time.
type hostProcess struct {
	pid   int
	ticks string
}

// running says whether the process still runs (a later process with its pid is not it).
func (h hostProcess) running() bool {
	ticks, ok := startTicks(h.pid)
	return ok && ticks == h.ticks
}

// sluiceHost is the Sluice process named in SLUICE_RUN_ID, to be watched when it is one of this
// process's ancestors (a running process that is not is some other program's, inherited from
// elsewhere) or has already ended: a host killed between starting the plugin and this look
// leaves no trace in the process tree, and only a Sluice process that has since ended can have
// set a value naming a process that no longer runs. Without /proc nothing is watched.
func sluiceHost() (hostProcess, bool) {
	pidText, ticks, found := strings.Cut(os.Getenv(runIDVariable), "-")
	pid, err := strconv.Atoi(pidText)
	if _, procReadable := startTicks(os.Getpid()); !found || err != nil || pid <= 1 || !procReadable {
		return hostProcess{}, false
	}
	host := hostProcess{pid, ticks}
	return host, !host.running() || isAncestor(pid)
}

// isAncestor says whether pid is this process's parent, grandparent, and so on (Linux's /proc).
func isAncestor(pid int) bool {
	for current := os.Getppid(); current > 1; {
		if current == pid {
			return true
		}
		fields, ok := statFields(current)
		if !ok {
			return false
		}
		current, _ = strconv.Atoi(fields[1])
	}
	return false
}

// startTicks is when pid started, in clock ticks since boot, as Sluice records it; false when
// it is not running (a zombie has ended) or /proc cannot tell.
func startTicks(pid int) (string, bool) {
	fields, ok := statFields(pid)
	if !ok || len(fields) < 20 || fields[0] == "Z" || fields[0] == "X" {
		return "", false
	}
	return fields[19], true
}

// statFields are fields 3 onwards of /proc/<pid>/stat (the command name, field 2, may hold spaces).
func statFields(pid int) ([]string, bool) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	text := string(stat)
	end := strings.LastIndexByte(text, ')')
	if end < 0 || end+2 > len(text) {
		return nil, false
	}
	return strings.Fields(text[end+2:]), true
}
