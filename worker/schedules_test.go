package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/tokens"
)

// worker setup creates the presence-reconcile and token-sweep schedules
// (interval, workflow, task queue, overlap skip), and a later setup leaves
// them as the operator set them (here: a pause).
func TestSetupCreatesTheUpkeepSchedulesAndKeepsOperatorChanges(t *testing.T) {
	ctx := context.Background()
	c := namespaceOfItsOwn(t)
	testenv.WaitFor(t, "the new namespace to take schedules", func() bool {
		return ensureSchedules(ctx, c, "upkeep-test") == nil
	})
	describe := func(id string) *client.ScheduleDescription {
		t.Helper()
		d, err := c.ScheduleClient().GetHandle(ctx, id).Describe(ctx)
		if err != nil {
			t.Fatalf("schedule %s: %v", id, err)
		}
		return d
	}
	for _, u := range upkeepSchedules() {
		s := describe(u.id).Schedule
		a, ok := s.Action.(*client.ScheduleWorkflowAction)
		if !ok || a.Workflow != u.workflow || a.TaskQueue != "upkeep-test" || a.ID != u.id {
			t.Errorf("schedule %s starts %+v; want %s on upkeep-test", u.id, s.Action, u.workflow)
		}
		if len(s.Spec.Intervals) != 1 || s.Spec.Intervals[0].Every != u.every {
			t.Errorf("schedule %s runs %+v; want every %v", u.id, s.Spec.Intervals, u.every)
		}
		if s.Policy.Overlap != enumspb.SCHEDULE_OVERLAP_POLICY_SKIP || s.State.Paused {
			t.Errorf("schedule %s: overlap %v, paused %v; want skip, running", u.id, s.Policy.Overlap, s.State.Paused)
		}
	}
	sweep := tokens.ScheduleID
	if err := c.ScheduleClient().GetHandle(ctx, sweep).Pause(ctx, client.SchedulePauseOptions{Note: "maintenance"}); err != nil {
		t.Fatal(err)
	}
	if err := ensureSchedules(ctx, c, "upkeep-test"); err != nil {
		t.Fatalf("second setup: %v", err)
	}
	if st := describe(sweep).Schedule.State; !st.Paused || st.Note != "maintenance" {
		t.Fatalf("a second setup changed the operator's pause: %+v", st)
	}
}

// namespaceOfItsOwn registers a fresh namespace on the dev server, so the
// schedules' fixed ids cannot meet those of another test or a `worker
// setup` run against the same server.
func namespaceOfItsOwn(t *testing.T) client.Client {
	t.Helper()
	ns := fmt.Sprintf("setup-test-%d", time.Now().UnixNano())
	if _, err := testenv.Temporal(t).WorkflowService().RegisterNamespace(context.Background(), &workflowservice.RegisterNamespaceRequest{
		Namespace: ns, WorkflowExecutionRetentionPeriod: durationpb.New(24 * time.Hour),
	}); err != nil {
		t.Fatal(err)
	}
	c, err := client.Dial(client.Options{HostPort: testenv.TemporalAddress(t), Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
