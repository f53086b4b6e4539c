package testenv

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
)

// TemporalCLI runs the pinned temporal CLI (bin/temporal) against the test
// server and returns its output; a failing command fails the test.
func TemporalCLI(ctx context.Context, t *testing.T, args ...string) string {
	t.Helper()
	args = append(args, "--address", TemporalAddress(t))
	out, err := exec.CommandContext(ctx, filepath.Join(ModuleRoot(), "bin", "temporal"), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("temporal %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// EventSummaries are the summaries the Temporal UI shows on a run's events
// (activities, timers, markers), in history order. `temporal workflow show
// -o json` prints them only as encoded payloads.
func EventSummaries(ctx context.Context, t *testing.T, c client.Client, workflowID, runID string) []string {
	t.Helper()
	var out []string
	it := c.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		p := ev.GetUserMetadata().GetSummary()
		if p == nil {
			continue
		}
		var s string
		if err := converter.GetDefaultDataConverter().FromPayload(p, &s); err != nil {
			t.Fatalf("summary of event %d: %v", ev.GetEventId(), err)
		}
		out = append(out, s)
	}
	return out
}
