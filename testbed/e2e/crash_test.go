package e2e

import (
	"testing"
	"time"

	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/migration"
)

// TestWorkerKilledDuringProvisioning kills the worker process with SIGKILL
// while a slow OpenIM holds the provisioning of 20 000 users, starts it
// again, and checks that the step finishes with every user sent to
// user_register exactly once.
func TestWorkerKilledDuringProvisioning(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.seed(20000)
	s.sim.SetLatency(100 * time.Millisecond)
	bin, env := testenv.Binary(t, "./worker"), s.workerEnv()
	first := s.runWorker(bin, env)
	run := s.start(s.plan(migration.Step{Percent: 100}))

	s.waitStatus("a few thousand users registered", func(st migration.Status) bool {
		return st.State == migration.StateProvisioning && s.sim.Users() >= 3000
	})
	first.Kill()
	atKill := s.sim.Users()
	if atKill == len(s.users) {
		t.Fatal("provisioning had finished before the kill: the test proves nothing")
	}
	t.Logf("killed the worker with %d of %d users registered", atKill, len(s.users))

	s.runWorker(bin, env)
	st := s.result(run)
	if st.State != migration.StateCompleted || s.routing().BucketThreshold != 10000 {
		t.Fatalf("after the restart: %s, routing %+v", st.State, s.routing())
	}
	s.registeredOnce(s.users)
	p := st.Provisioning
	if p.Registered+p.AlreadyExisted != int64(len(s.users)) || p.Errors != 0 || st.MigratedUsers != int64(len(s.users)) {
		t.Fatalf("provisioning totals %+v, migrated %d", p.ProvisionCounts, st.MigratedUsers)
	}
	c := s.sim.Counters()
	t.Logf("account_check calls %d, user_register calls %d; outcome: %d registered, %d found registered by the retry",
		c.Requests["/user/account_check"], c.Requests["/user/user_register"], p.Registered, p.AlreadyExisted)
}
