package sluice

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"google.golang.org/grpc/stats"
)

func TestHostWatchEndsThePluginWhenTheLastConnectionEnds(t *testing.T) {
	var reasons []string
	w := &hostWatch{exit: func(reason string) { reasons = append(reasons, reason) }}
	ctx := context.Background()
	w.HandleConn(ctx, &stats.ConnBegin{})
	w.HandleConn(ctx, &stats.ConnBegin{})
	w.HandleConn(ctx, &stats.ConnEnd{})
	if len(reasons) != 0 {
		t.Fatalf("a connection is still open, yet the plugin was ended: %v", reasons)
	}
	w.HandleConn(ctx, &stats.ConnEnd{})
	w.gone("again")
	if len(reasons) != 1 || reasons[0] != "the host closed its connection" {
		t.Fatalf("want one exit when the last connection ends, got %v", reasons)
	}
}

func TestSluiceHostIsWatchedWhenItIsAnAncestorOrHasEnded(t *testing.T) {
	self := os.Getpid()
	ticks, ok := startTicks(self)
	if !ok {
		t.Skip("no /proc here")
	}
	parentTicks, _ := startTicks(os.Getppid())
	cases := []struct {
		runID   string
		watched bool
	}{
		{strconv.Itoa(os.Getppid()) + "-" + parentTicks, true}, // the parent started it (through no wrapper)
		{strconv.Itoa(self) + "-" + ticks, false},              // running, but not an ancestor
		{strconv.Itoa(os.Getppid()) + "-1", true},              // ended (its pid reused by a later process) before the look
		{"999999999-1", true},                                  // ended, its pid free
		{"", false},
		{"garbage", false},
	}
	for _, c := range cases {
		t.Setenv(runIDVariable, c.runID)
		if _, watched := sluiceHost(); watched != c.watched {
			t.Errorf("SLUICE_RUN_ID=%q: watched %v, want %v", c.runID, watched, c.watched)
		}
	}
}

func TestAnEndedHostIsNoLongerRunning(t *testing.T) {
	sleeper := exec.Command("sleep", "30")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	ticks, ok := startTicks(sleeper.Process.Pid)
	if !ok {
		t.Skip("no /proc here")
	}
	host := hostProcess{sleeper.Process.Pid, ticks}
	if !host.running() {
		t.Fatal("a running host was taken for ended")
	}
	_ = sleeper.Process.Kill()
	_ = sleeper.Wait()
	if host.running() {
		t.Fatal("a killed host was taken for running")
	}
}
