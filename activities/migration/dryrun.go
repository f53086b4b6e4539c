package migration

import (
	"context"
	"fmt"
	"sort"

	"go.temporal.io/sdk/activity"

	"github.com/jackc/pgx/v5"

	"github.com/imshift/imshift/internal/cohort"
)

// CohortSizes is the dry run: it reads the whole directory and counts, per
// step threshold, the users who would be on OpenIM and the devices of the
// users each step adds, plus how many ids need mapping or cannot be
// migrated. It writes nothing and calls no one. It heartbeats its counts
// after every page and a retry goes on from them.
func (a *Activities) CohortSizes(ctx context.Context, in CohortSizesInput) (CohortSizesResult, error) {
	var r CohortSizesResult
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &r); err != nil {
			r = CohortSizesResult{}
		}
	}
	return a.countCohorts(ctx, in, r, func(r CohortSizesResult) { activity.RecordHeartbeat(ctx, r) })
}

// Forecast is the dry run's count outside a workflow, for `starter
// migration plan`: the same numbers, read-only, no heartbeats.
func (a *Activities) Forecast(ctx context.Context, in CohortSizesInput) (CohortSizesResult, error) {
	return a.countCohorts(ctx, in, CohortSizesResult{}, func(CohortSizesResult) {})
}

// countCohorts scans the directory from r's cursor and adds to r; after
// every page it hands r to pageDone.
func (a *Activities) countCohorts(ctx context.Context, in CohortSizesInput, r CohortSizesResult, pageDone func(CohortSizesResult)) (CohortSizesResult, error) {
	n := len(in.Thresholds)
	if len(r.PerStep) != n || len(r.NewFCMTokens) != n {
		r = CohortSizesResult{PerStep: make([]int64, n), NewFCMTokens: make([]int64, n),
			NewAPNsDevices: make([]int64, n), NewAPNsOnlyUsers: make([]int64, n)}
	}
	q, err := a.queries(ctx)
	if err != nil {
		return CohortSizesResult{}, err
	}
	allow, deny := set(in.AllowUsers), set(in.DenyUsers)
	err = a.scanDirectory(ctx, q, r.Cursor, func(page []dirUser) error {
		joins := map[string]int{} // user id → the step that adds the user
		for _, u := range page {
			if first := r.count(u.ID, in.Thresholds, allow, deny); first < n {
				joins[u.ID] = first
			}
		}
		if err := a.countDevices(ctx, joins, &r); err != nil {
			return err
		}
		r.Cursor = page[len(page)-1].ID
		pageDone(r)
		return ctx.Err()
	})
	if err != nil {
		return CohortSizesResult{}, err
	}
	return r, nil
}

// count adds one user and returns the first step whose cohort holds it
// (len(thresholds) for none).
func (r *CohortSizesResult) count(id string, thresholds []int, allow, deny map[string]bool) int {
	r.DirectoryUsers++
	switch {
	case CheckLegacyUserID(id) != nil:
		r.InvalidIDs++
	case OpenIMUserID(id) != id:
		r.MappedIDs++
	}
	first := len(thresholds)
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
	return first
}

// countDevices adds the live devices of the joining users to their step,
// counted as provisioning counts them (tokens.go): one FCM token per user
// and platform, every APNs device.
func (a *Activities) countDevices(ctx context.Context, joins map[string]int, r *CohortSizesResult) error {
	if len(joins) == 0 {
		return nil
	}
	ids := make([]string, 0, len(joins))
	for id := range joins {
		ids = append(ids, id)
	}
	rows, err := a.cfg.DB.Query(ctx, `
		SELECT user_id, count(DISTINCT platform) FILTER (WHERE provider = 'fcm'),
		       count(*) FILTER (WHERE provider = 'apns')
		FROM imshift.devices
		WHERE user_id = ANY($1) AND invalidated_at IS NULL
		GROUP BY user_id`, ids)
	if err != nil {
		return fmt.Errorf("count devices: %w", err)
	}
	var user string
	var fcm, apns int64
	_, err = pgx.ForEachRow(rows, []any{&user, &fcm, &apns}, func() error {
		step := joins[user]
		r.NewFCMTokens[step] += fcm
		r.NewAPNsDevices[step] += apns
		if fcm == 0 && apns > 0 {
			r.NewAPNsOnlyUsers[step]++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("count devices: %w", err)
	}
	return nil
}
