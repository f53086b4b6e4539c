package migration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	migact "github.com/imshift/imshift/activities/migration"
)

// Every state change of an automatic rollback and the abort after it is
// posted once, in order, with the state it left, its 1-based step and a
// deterministic event id.
func TestEveryTransitionIsNotified(t *testing.T) {
	h := newHarness(t)
	h.w.analyze = func(n int) (migact.AnalyzeResult, error) {
		if n >= 3 {
			return stuck(), nil
		}
		return healthy(), nil
	}
	h.signalAt(2*time.Hour, SignalAbort, AbortSignal{Reason: "error rate"})
	st := h.run(basePlan())

	var got []string
	for i, e := range h.w.notices {
		got = append(got, e.PreviousState+">"+e.State)
		if want := fmt.Sprintf("-%d", i+1); e.Kind != "migration" || e.ID != "test-2027q1" || !strings.HasSuffix(e.EventID, want) ||
			!strings.HasPrefix(e.EventID, "notify-") || e.At.IsZero() {
			t.Errorf("notice %d: %+v", i, e)
		}
	}
	want := []string{"validating>provisioning", "provisioning>baking", "baking>provisioning", "provisioning>baking",
		"baking>rolling_back", "rolling_back>rolled_back", "rolled_back>rolling_back", "rolling_back>aborted"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("notified %v\nwant     %v", got, want)
	}
	back := h.w.notices[4]
	if back.Step != 2 || back.Percent != 10 || !strings.HasPrefix(back.Note, "automatic rollback: ") {
		t.Fatalf("rollback notice %+v", back)
	}
	if last := h.w.notices[len(h.w.notices)-1]; last.State != string(st.State) || last.Percent != 0 {
		t.Fatalf("last notice %+v, final state %s", last, st.State)
	}
}

// A run that fails (a routing flip refused) says so before it ends.
func TestFailedRunIsNotified(t *testing.T) {
	h := newHarness(t)
	h.env.OnActivity(migact.FlipRoutingName, mock.Anything, mock.Anything).Return(migact.FlipResult{},
		temporal.NewNonRetryableApplicationError("bad row", "InvalidInput", nil))
	h.execute(basePlan(), basePlan().MigrationID)
	if h.env.GetWorkflowError() == nil {
		t.Fatal("the run did not fail")
	}
	last := h.w.notices[len(h.w.notices)-1]
	if last.State != string(StateFailed) || last.PreviousState != string(StateProvisioning) ||
		!strings.Contains(last.Note, "routing flip to 1% failed") {
		t.Fatalf("last notice %+v", last)
	}
}
