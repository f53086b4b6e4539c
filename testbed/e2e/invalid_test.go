package e2e

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/api/serviceerror"

	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/migration"
)

// badPlans break one field each; the field is what the refusal must name.
func badPlans(s *stack) map[string]migration.Plan {
	good := func() migration.Plan {
		p := s.plan(migration.Step{Percent: 10, Bake: "1s"}, migration.Step{Percent: 100, Bake: "1s"})
		p.AllowUsers = []string{s.users[1]}
		return p
	}
	plans := map[string]migration.Plan{}
	p := good()
	p.Steps[1].Percent = 5
	plans["steps[1].percent"] = p
	p = good()
	p.Steps[0].Bake = "30 minutes"
	plans["steps[0].bake"] = p
	p = good()
	p.Analysis.MinOpenimOnlineRatio = 1.5
	plans["analysis.minOpenimOnlineRatio"] = p
	p = good()
	p.AllowUsers = []string{s.users[1], "bad user"}
	plans["allowUsers[1]"] = p
	p = good()
	p.Steps = p.Steps[:1]
	p.Decommission = true
	plans["decommission"] = p
	return plans
}

// TestInvalidPlanStartedDirectly starts bad plans straight on Temporal, as
// from the UI: each run fails at once naming the field, and nothing is
// written or registered.
func TestInvalidPlanStartedDirectly(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.seed(200)
	s.startWorker()
	for field, plan := range badPlans(s) {
		err := s.start(plan).Get(s.ctx, nil)
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("plan with a bad %s: run ended with %v", field, err)
		}
	}
	s.expectNothingWritten()
}

// TestInvalidPlanRefusedByStarter gives bad plans to `starter migration
// start -f`: it refuses each naming the field, and no workflow starts.
func TestInvalidPlanRefusedByStarter(t *testing.T) {
	t.Parallel()
	s := newStack(t)
	s.seed(200)
	s.startWorker()
	bin := testenv.Binary(t, "./starter")
	for field, plan := range badPlans(s) {
		file := filepath.Join(t.TempDir(), "plan.json")
		raw, err := json.Marshal(plan)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(s.ctx, bin, "migration", "start", "-f", file)
		cmd.Env = append(os.Environ(), "TEMPORAL_ADDRESS="+testenv.TemporalAddress(t), "IMSHIFT_TASK_QUEUE="+s.taskQueue)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), field) {
			t.Errorf("starter with a bad %s: exit %v, output %s", field, err, out)
		}
	}
	_, err := s.tc.DescribeWorkflowExecution(s.ctx, s.workflowID(), "")
	var notFound *serviceerror.NotFound
	if !errors.As(err, &notFound) {
		t.Fatalf("a workflow was started: describe answered %v", err)
	}
	s.expectNothingWritten()
}

// expectNothingWritten: no routing row, no provisioning record, no call
// to OpenIM.
func (s *stack) expectNothingWritten() {
	s.t.Helper()
	for _, table := range []string{"routing", "migration_users", "user_id_map"} {
		if n := s.countRows(table); n != 0 {
			s.t.Errorf("imshift.%s has %d rows", table, n)
		}
	}
	for path, n := range s.sim.Counters().Requests {
		if n != 0 {
			s.t.Errorf("OpenIM saw %d requests to %s", n, path)
		}
	}
}
