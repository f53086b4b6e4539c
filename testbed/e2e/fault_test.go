package e2e

import (
	"fmt"
	"testing"

	"github.com/imshift/imshift/testbed/faults/devserver"
	"github.com/imshift/imshift/testbed/faults/report"
	"github.com/imshift/imshift/testbed/simulator/legacy"
	"github.com/imshift/imshift/workflows/migration"
)

// The Temporal server SIGKILLed while a migration step bakes and restarted
// on the same database file: the migration finishes, every user is sent to
// user_register exactly once.
func TestFaultTemporalKilledMidBake(t *testing.T) {
	t.Parallel()
	row := &report.Row{Fault: "Temporal server SIGKILL + restart on its db file",
		Running: "TrafficMigration baking 20 % of 2 000 users", Delivered: report.NA, Duplicated: report.NA, Lost: report.NA}
	report.Record(t, row)
	s := newStack(t)
	srv := devserver.Start(t)
	s.tc = srv.Client(t)
	s.seed(2000)
	s.connect(legacy.Options{SuccessRate: 1})
	s.startWorker()
	run := s.start(s.plan(migration.Step{Percent: 20, Bake: "10s"}, migration.Step{Percent: 100, Bake: "2s"}))

	s.waitState(migration.StateBaking, 0)
	srv.Kill(t)
	atKill := s.sim.Users()
	srv.Restart(t)
	st := s.result(run)

	row.Registered = s.sim.Users()
	row.Outcome = fmt.Sprintf("killed mid-bake with %d registered; migration %s at %v %%", atKill, st.State, st.Percent)
	if st.State != migration.StateCompleted || s.routing().BucketThreshold != 10000 {
		t.Fatalf("after the restart: %s, routing %+v", st.State, s.routing())
	}
	s.registeredOnce(s.users)
}
