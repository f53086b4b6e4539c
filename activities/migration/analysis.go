package migration

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/imshift/imshift/activities/openim"
)

// PresenceUserKey is the legacy gateway's set of a user's socket ids;
// online in the legacy stack means the set is not empty.
func PresenceUserKey(userID string) string { return "presence:user:" + userID }

// onlineChunk bounds the ids of one get_users_online_status call.
const onlineChunk = 500

type sampled struct{ legacyID, openimID string }

// Analyze samples up to SampleSize provisioned users of the cohort and
// counts how many are online in the legacy stack (Redis presence) and in
// OpenIM (get_users_online_status). The sample is deterministic: the newest
// slice first, then the allow list, then earlier slices, each by ascending
// bucket (the bucket is a hash, so this is a fixed pseudo-random choice that
// stays the same across intervals). Any failure is returned as is: the
// workflow counts it as an errored analysis. The counts and ratios are
// also exported as Prometheus metrics (metrics.go).
func (a *Activities) Analyze(ctx context.Context, in AnalyzeInput) (AnalyzeResult, error) {
	users, err := a.sample(ctx, in)
	if err != nil {
		return AnalyzeResult{}, err
	}
	res := AnalyzeResult{Sampled: len(users)}
	if res.LegacyOnline, err = a.legacyOnline(ctx, users); err != nil {
		return AnalyzeResult{}, err
	}
	if res.OpenIMOnline, err = a.openimOnline(ctx, users); err != nil {
		return AnalyzeResult{}, err
	}
	observeAnalysis(in.MigrationID, in.Step, res)
	return res, nil
}

const (
	sampleSlice = `
		SELECT legacy_id, openim_id FROM imshift.migration_users
		WHERE migration_id = $1 AND status <> 'error' AND bucket >= $2 AND bucket < $3
		  AND NOT legacy_id = ANY($4) AND NOT legacy_id = ANY($5)
		ORDER BY bucket, legacy_id LIMIT $6`
	sampleAllow = `
		SELECT legacy_id, openim_id FROM imshift.migration_users
		WHERE migration_id = $1 AND status <> 'error' AND legacy_id = ANY($2)
		ORDER BY bucket, legacy_id LIMIT $3`
)

func (a *Activities) sample(ctx context.Context, in AnalyzeInput) ([]sampled, error) {
	allow, deny := nonNil(in.AllowUsers), nonNil(in.DenyUsers)
	var out []sampled
	steps := []struct {
		query string
		args  []any
	}{
		{sampleSlice, []any{in.MigrationID, in.FromThreshold, in.ToThreshold, allow, deny}},
		{sampleAllow, []any{in.MigrationID, allow}},
		{sampleSlice, []any{in.MigrationID, 0, in.FromThreshold, allow, deny}},
	}
	for _, s := range steps {
		room := in.SampleSize - len(out)
		if room <= 0 {
			break
		}
		rows, err := a.cfg.DB.Query(ctx, s.query, append(s.args, room)...)
		if err != nil {
			return nil, fmt.Errorf("sample cohort: %w", err)
		}
		got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sampled, error) {
			var u sampled
			return u, r.Scan(&u.legacyID, &u.openimID)
		})
		if err != nil {
			return nil, fmt.Errorf("sample cohort: %w", err)
		}
		out = append(out, got...)
	}
	return out, nil
}

// legacyOnline counts users whose presence set is not empty, in one pipeline.
func (a *Activities) legacyOnline(ctx context.Context, users []sampled) (int, error) {
	if len(users) == 0 {
		return 0, nil
	}
	pipe := a.cfg.Redis.Pipeline()
	cmds := make([]*redis.IntCmd, len(users))
	for i, u := range users {
		cmds[i] = pipe.SCard(ctx, PresenceUserKey(u.legacyID))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, fmt.Errorf("read legacy presence: %w", err)
	}
	n := 0
	for _, c := range cmds {
		if c.Val() > 0 {
			n++
		}
	}
	return n, nil
}

func (a *Activities) openimOnline(ctx context.Context, users []sampled) (int, error) {
	n := 0
	for start := 0; start < len(users); start += onlineChunk {
		chunk := users[start:min(start+onlineChunk, len(users))]
		ids := make([]string, len(chunk))
		for i, u := range chunk {
			ids[i] = u.openimID
		}
		statuses, err := a.cfg.OpenIM.GetUsersOnlineStatus(ctx, ids)
		if err != nil {
			return 0, err
		}
		for _, s := range statuses {
			if s.Status == openim.StatusOnline {
				n++
			}
		}
	}
	return n, nil
}
