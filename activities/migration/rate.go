package migration

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// MeasuredRate is how fast the most recent migration provisioned users.
type MeasuredRate struct {
	MigrationID    string  `json:"migrationId"`
	Users          int64   `json:"users"`
	Seconds        float64 `json:"seconds"`
	UsersPerSecond float64 `json:"usersPerSecond"`
}

// measureRate finds the migration that recorded a user last and divides
// the users it recorded while provisioning ran by the time that took: each
// batch is one row time (recordOutcomes), so a batch counts over the gap
// since the batch before, and gaps over a minute (bakes, pauses) are left
// out. Found false: no migration has provisioned enough to measure.
const measureRate = `
	WITH last AS (SELECT migration_id FROM imshift.migration_users ORDER BY updated_at DESC LIMIT 1),
	batches AS (
		SELECT updated_at, count(*) AS n FROM imshift.migration_users
		WHERE migration_id = (SELECT migration_id FROM last) GROUP BY updated_at),
	gaps AS (SELECT n, updated_at - lag(updated_at) OVER (ORDER BY updated_at) AS gap FROM batches)
	SELECT (SELECT migration_id FROM last),
	       coalesce(sum(n) FILTER (WHERE gap <= interval '1 minute'), 0),
	       coalesce(extract(epoch FROM sum(gap) FILTER (WHERE gap <= interval '1 minute')), 0)::float8
	FROM gaps`

// ProvisionRate is the rate the last run measured (read-only).
func (a *Activities) ProvisionRate(ctx context.Context) (MeasuredRate, bool, error) {
	var r MeasuredRate
	var id *string
	err := a.cfg.DB.QueryRow(ctx, measureRate).Scan(&id, &r.Users, &r.Seconds)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && (id == nil || r.Seconds < 1) {
		return MeasuredRate{}, false, nil
	}
	if err != nil {
		return MeasuredRate{}, false, fmt.Errorf("measure the last provisioning rate: %w", err)
	}
	r.MigrationID, r.UsersPerSecond = *id, float64(r.Users)/r.Seconds
	return r, true, nil
}
