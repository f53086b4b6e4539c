package migration

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	migact "github.com/imshift/imshift/activities/migration"
)

// pagedProvision is a provisioning that takes three calls of a minute each,
// 100 users per call; it records the inputs.
type pagedProvision struct {
	mu     sync.Mutex
	inputs []migact.ProvisionInput
}

func (p *pagedProvision) call(_ context.Context, in migact.ProvisionInput) (migact.ProvisionResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inputs = append(p.inputs, in)
	var prog migact.ProvisionProgress
	if in.Resume != nil {
		prog = *in.Resume
	}
	prog.Done.Registered += 100
	prog.Selected += 100
	prog.CohortSize += 100
	prog.Cursor = fmt.Sprintf("page-%d", len(p.inputs))
	return migact.ProvisionResult{ProvisionProgress: prog, Totals: prog.Done, More: len(p.inputs) < 3}, nil
}

func (p *pagedProvision) use(h *harness) {
	h.env.OnActivity(migact.ProvisionStepName, mock.Anything, mock.Anything).After(time.Minute).Return(p.call)
}

func onePagedStep() Plan {
	plan := basePlan()
	plan.Steps = []Step{{Percent: 100}}
	plan.Decommission = false
	return plan
}

// The status shows each page's counts while the step goes on, and each call
// goes on from the cursor the one before returned.
func TestProvisioningCountsRisePageByPage(t *testing.T) {
	h := newHarness(t)
	var p pagedProvision
	p.use(h)
	var during []Status
	for _, at := range []time.Duration{90 * time.Second, 150 * time.Second} {
		h.at(at, func() { during = append(during, h.status()) })
	}
	st := h.run(onePagedStep())

	for i, d := range during {
		want := int64(100 * (i + 1))
		if d.State != StateProvisioning || d.Provisioning.Registered != want || d.Provisioning.LastRun.Done.Registered != want {
			t.Fatalf("during page %d: %s, registered %d (last run %+v), want %d", i+2, d.State,
				d.Provisioning.Registered, d.Provisioning.LastRun, want)
		}
		if d.CohortSizes[0] != -1 {
			t.Fatalf("cohort size %d known before the step's last page", d.CohortSizes[0])
		}
	}
	if len(p.inputs) != 3 || p.inputs[0].Resume != nil || p.inputs[0].PageBudget != provisionPage {
		t.Fatalf("provisioning calls %+v", p.inputs)
	}
	for i, in := range p.inputs[1:] {
		if in.Resume == nil || in.Resume.Cursor != fmt.Sprintf("page-%d", i+1) {
			t.Fatalf("call %d resumed from %+v", i+2, in.Resume)
		}
	}
	if st.State != StateCompleted || st.Provisioning.Registered != 300 || st.CohortSizes[0] != 300 || st.MigratedUsers != 300 {
		t.Fatalf("final %s registered %d cohort %v migrated %d", st.State, st.Provisioning.Registered, st.CohortSizes, st.MigratedUsers)
	}
}

// A run due to continue as new hands over between pages, and the next run
// goes on from the cursor.
func TestProvisioningHandsOverBetweenPages(t *testing.T) {
	withContinueAsNewEvery(t, 1)
	h := newHarness(t)
	var p pagedProvision
	p.use(h)
	next := runUntilHandOver(t, h, onePagedStep())
	if next == nil || next.Continued == nil || next.Continued.ProvisionResume == nil {
		t.Fatalf("no hand-over between pages: %+v", next)
	}
	if c := next.Continued; c.State != StateProvisioning || c.ProvisionResume.Cursor != "page-1" || c.Provisioning.Registered != 100 {
		t.Fatalf("handed over %s at %+v, registered %d", c.State, c.ProvisionResume, c.Provisioning.Registered)
	}
	h2 := newHarness(t)
	p.use(h2)
	runUntilHandOver(t, h2, *next)
	if n := len(p.inputs); n < 2 || p.inputs[n-1].Resume == nil || p.inputs[n-1].Resume.Cursor != "page-1" {
		t.Fatalf("the next run's call resumed from %+v", p.inputs[n-1].Resume)
	}
}
