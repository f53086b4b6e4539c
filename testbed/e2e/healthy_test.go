package e2e

import (
	"slices"
	"testing"

	"github.com/imshift/imshift/testbed/simulator/legacy"
	"github.com/imshift/imshift/workflows/migration"
)

// TestHealthyMigrationToDecommission runs 1 % → 10 % → 50 % → 100 % with
// short bakes and then decommissions the legacy path.
func TestHealthyMigrationToDecommission(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.seed(2000)
	denied := s.users[3]
	s.connect(legacy.Options{SuccessRate: 1})
	s.startWorker()
	plan := s.plan(
		migration.Step{Percent: 1, Bake: "2s"},
		migration.Step{Percent: 10, Bake: "2s"},
		migration.Step{Percent: 50, Bake: "2s"},
		migration.Step{Percent: 100, Bake: "2s"},
	)
	plan.AllowUsers = []string{s.users[7]}
	plan.DenyUsers = []string{denied}
	plan.Decommission = true
	st := s.result(s.start(plan))

	if st.State != migration.StateCompleted || st.Percent != 100 {
		t.Fatalf("ended %s at %v%%", st.State, st.Percent)
	}
	for _, d := range st.Decommission {
		if d.State != migration.StageDone {
			t.Fatalf("decommission stage %s is %s", d.Name, d.State)
		}
	}
	r := s.routing()
	if r.BucketThreshold != 10000 || r.LegacyPushEnabled || r.LegacyPresenceEnabled ||
		!slices.Equal(r.AllowUsers, plan.AllowUsers) || !slices.Equal(r.DenyUsers, plan.DenyUsers) {
		t.Fatalf("routing row at the end: %+v", r)
	}
	if n := s.presenceKeys(); n != 0 {
		t.Fatalf("%d presence:* keys left after decommission", n)
	}
	migrated := slices.DeleteFunc(slices.Clone(s.users), func(id string) bool { return id == denied })
	s.registeredOnce(migrated)
	if st.MigratedUsers != int64(len(migrated)) || st.Provisioning.Errors != 0 {
		t.Fatalf("status: %d users migrated, %d provisioning errors; want %d, 0",
			st.MigratedUsers, st.Provisioning.Errors, len(migrated))
	}
	pop := s.waitPopulation(r.Revision)
	if pop.OpenIM != len(migrated) || pop.Legacy != 1 || s.sim.Counters().Online != len(migrated) {
		t.Fatalf("population at the end: %+v; OpenIM online %d", pop, s.sim.Counters().Online)
	}
	for _, a := range st.Analyses {
		if a.Result == migration.AnalysisErrored {
			t.Fatalf("an analysis errored: %+v", a)
		}
	}
}
