package migration

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	migact "github.com/imshift/imshift/activities/migration"
)

// startDryRun counts each step's cohort in the directory; nothing is
// registered, copied or flipped.
func (m *migration) startDryRun(ctx workflow.Context) {
	in := ForecastInput(m.plan)
	m.start(ctx, scanOptions, false, migact.CohortSizesName, "dry run: count each step's cohort", in, func(ctx workflow.Context, f workflow.Future) {
		var res migact.CohortSizesResult
		if err := f.Get(ctx, &res); err != nil {
			m.failed = fmt.Errorf("dry run: %w", err)
			return
		}
		m.st.DryRunReport = dryRunReport(m.plan, in.Thresholds, res)
		m.enter(ctx, StateCompleted, deadlines{}, fmt.Sprintf("dry run: %d directory users", res.DirectoryUsers))
	})
}

func dryRunReport(p Plan, thresholds []int, res migact.CohortSizesResult) *DryRunReport {
	r := &DryRunReport{
		DirectoryUsers: res.DirectoryUsers, AllowFound: res.AllowFound, DenyFound: res.DenyFound,
		MappedIDs: res.MappedIDs, InvalidIDs: res.InvalidIDs,
	}
	var before int64
	for i, s := range p.Steps {
		r.Steps = append(r.Steps, DryRunStep{
			Percent: s.Percent, BucketThreshold: thresholds[i], Users: res.PerStep[i], NewUsers: res.PerStep[i] - before,
		})
		before = res.PerStep[i]
	}
	return r
}
