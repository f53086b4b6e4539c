package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/spf13/cobra"

	"github.com/imshift/imshift/testbed/faults/devserver"
	"github.com/imshift/imshift/testbed/faults/report"
	"github.com/imshift/imshift/testbed/rigs/campaigntest"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/campaign"
)

// lockedBuffer is a watch's output, read while the watch writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitOutput waits until out holds want.
func waitOutput(t *testing.T, out *lockedBuffer, want string) {
	t.Helper()
	testenv.WaitFor(t, "the watch to print "+want, func() bool { return strings.Contains(out.String(), want) })
}

// `campaign watch` keeps going through a worker outage and a Temporal
// server crash (SIGKILL, restarted on its database file): it says whom it
// waits for, says when they are back, and ends only when the campaign
// does, every device having had its push once.
func TestFaultCampaignWatchRidesOutWorkerAndServerOutages(t *testing.T) {
	row := &report.Row{Fault: "worker stopped, then Temporal SIGKILL + restart", Running: "starter campaign watch, 300 devices at 10/s",
		Registered: report.NA, Outcome: "watch waited for each and ended with the campaign"}
	report.Record(t, row)
	srv := devserver.Start(t)
	r := campaigntest.New(t)
	r.Temporal = srv.Client(t)
	tuning := campaign.Tuning{PageSize: 20, Window: 2, PlanPages: 4, PagesPerRun: 100}
	w := r.NewWorker(tuning)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	devices := r.Seed(t, campaigntest.SeedSpec{FCM: 150, APNs: 150})
	c := campaigntest.Spec("watch-outage")
	c.RatePerSecond = 10
	r.Start(t, c)

	t.Setenv("TEMPORAL_ADDRESS", srv.Addr)
	a := &app{taskQueue: r.TaskQueue}
	t.Cleanup(a.close)
	root := &cobra.Command{Use: "starter", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(campaignCommand(a))
	out := &lockedBuffer{}
	root.SetOut(out)
	root.SetErr(out)
	root.SetArgs([]string{"campaign", "watch", "watch-outage", "--every", "200ms"})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(context.Background()) }()

	testenv.WaitFor(t, "the first pushes", func() bool { return r.TotalDelivered() >= 20 })
	w.Stop()
	waitOutput(t, out, "waiting for the worker")
	w = r.NewWorker(tuning)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Stop() })
	waitOutput(t, out, "the worker is back")

	srv.Kill(t)
	waitOutput(t, out, "waiting for the Temporal server")
	srv.Restart(t)
	waitOutput(t, out, "the Temporal server is back")

	var err error
	testenv.WaitFor(t, "the watch to end", func() bool {
		select {
		case err = <-done:
			return true
		default:
			return false
		}
	})
	if err != nil {
		t.Fatalf("watch: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "100% completed") {
		t.Fatalf("watch ended before the campaign:\n%s", out.String())
	}
	for _, d := range devices {
		n := r.Delivered(d)
		row.Delivered += min(n, 1)
		row.Duplicated += max(n-1, 0)
		if n == 0 {
			row.Lost++
		}
	}
	if row.Lost != 0 || row.Duplicated != 0 {
		t.Fatalf("%d devices got no push, %d pushes were extra", row.Lost, row.Duplicated)
	}
}
