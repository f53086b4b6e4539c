package migration

import (
	"context"
	"sort"

	"go.temporal.io/sdk/activity"

	"github.com/imshift/imshift/internal/cohort"
)

// CohortSizes is the dry run: it reads the whole directory and counts, per
// step threshold, the users who would be on OpenIM, plus how many ids need
// mapping or cannot be migrated. It writes nothing and calls no one.
func (a *Activities) CohortSizes(ctx context.Context, in CohortSizesInput) (CohortSizesResult, error) {
	var r CohortSizesResult
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &r); err != nil {
			r = CohortSizesResult{}
		}
	}
	if len(r.PerStep) != len(in.Thresholds) {
		r = CohortSizesResult{PerStep: make([]int64, len(in.Thresholds))}
	}
	q, err := a.queries(ctx)
	if err != nil {
		return CohortSizesResult{}, err
	}
	allow, deny := set(in.AllowUsers), set(in.DenyUsers)
	err = a.scanDirectory(ctx, q, r.Cursor, func(page []dirUser) error {
		for _, u := range page {
			r.count(u.ID, in.Thresholds, allow, deny)
		}
		r.Cursor = page[len(page)-1].ID
		activity.RecordHeartbeat(ctx, r)
		return ctx.Err()
	})
	if err != nil {
		return CohortSizesResult{}, err
	}
	return r, nil
}

func (r *CohortSizesResult) count(id string, thresholds []int, allow, deny map[string]bool) {
	r.DirectoryUsers++
	switch {
	case CheckLegacyUserID(id) != nil:
		r.InvalidIDs++
	case OpenIMUserID(id) != id:
		r.MappedIDs++
	}
	first := len(thresholds) // the first step whose cohort holds the user
	switch {
	case allow[id]:
		r.AllowFound++
		first = 0
	case deny[id]:
		r.DenyFound++
	default:
		b := cohort.Bucket(id)
		first = sort.Search(len(thresholds), func(i int) bool { return b < thresholds[i] })
	}
	for i := first; i < len(thresholds); i++ {
		r.PerStep[i]++
	}
}
