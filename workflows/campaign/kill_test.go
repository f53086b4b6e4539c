package campaign_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/imshift/imshift/testbed/rigs/campaigntest"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/campaign"
)

// lockedBuffer collects a child process's output for a failure message.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// workerProcess builds the real worker command once and starts it as its
// own process on the rig's database, Redis, task queue and simulators.
type workerProcess struct {
	bin  string
	env  []string
	logs lockedBuffer
}

func newWorkerProcess(t *testing.T, r *campaigntest.Rig) *workerProcess {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "worker")
	build := exec.Command("go", "build", "-o", bin, "./worker")
	build.Dir = testenv.ModuleRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./worker: %v\n%s", err, out)
	}
	env := append(os.Environ(), r.Providers.Env()...)
	return &workerProcess{bin: bin, env: append(env,
		"TEMPORAL_ADDRESS="+testenv.TemporalAddress(t),
		"IMSHIFT_TASK_QUEUE="+r.TaskQueue,
		"IMSHIFT_DATABASE_URL="+r.DBURL,
		"IMSHIFT_REDIS_URL="+r.RedisURL,
		"IMSHIFT_OPENIM_API_URL=http://127.0.0.1:9",
		"IMSHIFT_OPENIM_SECRET=unused-in-this-test",
		"IMSHIFT_API_TOKENS=campaign-kill-test-token",
		"IMSHIFT_HTTP_ADDR="+freePort(t),
		"IMSHIFT_METRICS_ADDR="+freePort(t),
	)}
}

func (w *workerProcess) start(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(w.bin)
	cmd.Env = w.env
	cmd.Stdout, cmd.Stderr = &w.logs, &w.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// A worker killed with SIGKILL mid-campaign, and a new one started: the
// campaign finishes, and no push the ledger had recorded as sent when the
// worker died is sent again. The only pushes that may go twice are those
// in flight at the kill (sent, not yet recorded): at most the provider
// calls in flight, here 4 calls of ChunkSize(100) = 10.
func TestCampaignE2EWorkerKilledMidCampaignFinishesWithoutResending(t *testing.T) {
	r := campaigntest.New(t)
	devices := r.Seed(t, campaigntest.SeedSpec{FCM: 300, APNs: 300})
	w := newWorkerProcess(t, r)
	first := w.start(t)
	c := campaigntest.Spec("killed")
	c.RatePerSecond = 100
	run := r.Start(t, c)
	testenv.WaitFor(t, "pushes from the first worker", func() bool { return r.TotalDelivered() >= 150 })
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()

	recorded := map[int64]bool{}
	rows, err := r.DB.Query(context.Background(),
		`SELECT device_id FROM imshift.push_ledger WHERE send_id = 'campaign:killed' AND outcome = 'sent'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		recorded[id] = true
	}
	rows.Close()
	if len(recorded) == 0 || len(recorded) >= len(devices) {
		t.Fatalf("%d of %d recorded at the kill; the kill must land mid-campaign", len(recorded), len(devices))
	}

	w.start(t)
	p := r.Finish(t, run)
	if p.State != campaign.CampaignCompleted || p.Sent != int64(len(devices)) {
		t.Errorf("progress = %+v\n%s", p, w.logs.String())
	}
	twice := 0
	for _, d := range devices {
		n := r.Delivered(d)
		switch {
		case n == 0:
			t.Errorf("device %d never delivered", d.ID)
		case n > 1 && recorded[d.ID]:
			t.Errorf("device %d was recorded as sent before the kill and sent again", d.ID)
		case n > 1:
			twice++
		}
	}
	t.Logf("%d recorded at the kill; %d in flight at the kill were sent twice", len(recorded), twice)
	if maxInFlight := 4 * 10; twice > maxInFlight {
		t.Errorf("%d devices sent twice, more than the %d that can be in flight", twice, maxInFlight)
	}
}
