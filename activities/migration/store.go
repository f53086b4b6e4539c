package migration

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// notDone drops the users this migration already provisioned (registered or
// found); users whose provisioning failed are tried again.
func (a *Activities) notDone(ctx context.Context, migrationID string, users []dirUser) ([]dirUser, error) {
	if len(users) == 0 {
		return nil, nil
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	// One primary-key lookup per id (LATERAL … LIMIT 1 cannot be planned
	// otherwise). "legacy_id = ANY($2)" or a plain join let the planner, with
	// the stale statistics of a table that grows by thousands of rows a
	// second, scan or hash the whole migration for every page: provisioning
	// became quadratic.
	rows, err := a.cfg.DB.Query(ctx, `
		SELECT m.legacy_id FROM unnest($2::text[]) AS u(id)
		CROSS JOIN LATERAL (
			SELECT legacy_id FROM imshift.migration_users
			WHERE migration_id = $1 AND legacy_id = u.id AND status <> 'error'
			LIMIT 1) m`, migrationID, ids)
	if err != nil {
		return nil, fmt.Errorf("read provisioned users: %w", err)
	}
	done, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read provisioned users: %w", err)
	}
	skip := set(done)
	todo := users[:0:0]
	for _, u := range users {
		if !skip[u.ID] {
			todo = append(todo, u)
		}
	}
	return todo, nil
}

// recordOutcomes writes a chunk's outcomes and the id map in one statement.
// A user found by a retry that an earlier, unrecorded attempt created stays
// "registered" if it was recorded so; an error is replaced by a success.
const recordOutcomes = `
WITH o AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::int[], $8::int[])
        AS t(legacy_id, openim_id, bucket, status, error, fcm, apns)
), mu AS (
    INSERT INTO imshift.migration_users AS m
        (migration_id, legacy_id, openim_id, bucket, status, error, fcm_tokens_copied, apns_devices, updated_at)
    SELECT $1, legacy_id, openim_id, bucket, status, error, fcm, apns, now() FROM o
    ON CONFLICT (migration_id, legacy_id) DO UPDATE SET
        status = CASE WHEN m.status = 'registered' AND EXCLUDED.status = 'existed' THEN m.status ELSE EXCLUDED.status END,
        error = EXCLUDED.error,
        fcm_tokens_copied = EXCLUDED.fcm_tokens_copied,
        apns_devices = EXCLUDED.apns_devices,
        updated_at = now()
)
INSERT INTO imshift.user_id_map (legacy_id, openim_id, migration_id)
SELECT legacy_id, openim_id, $1 FROM o WHERE status <> 'error'
ON CONFLICT (legacy_id) DO NOTHING`

func (a *Activities) record(ctx context.Context, migrationID string, outs []outcome) error {
	if len(outs) == 0 {
		return nil
	}
	n := len(outs)
	legacy, openimIDs, status, reason := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	bucket, fcm, apns := make([]int32, n), make([]int32, n), make([]int32, n)
	for i, o := range outs {
		legacy[i], openimIDs[i], status[i], reason[i] = o.user.ID, o.openimID, o.status, o.err
		bucket[i], fcm[i], apns[i] = int32(o.bucket), int32(o.fcm), int32(o.apns)
	}
	_, err := a.cfg.DB.Exec(ctx, recordOutcomes, migrationID, legacy, openimIDs, bucket, status, reason, fcm, apns)
	if err != nil {
		return fmt.Errorf("record provisioning outcomes: %w", err)
	}
	return nil
}

// provisionTotals are the whole migration's outcomes so far.
func (a *Activities) provisionTotals(ctx context.Context, migrationID string) (ProvisionCounts, error) {
	var c ProvisionCounts
	err := a.cfg.DB.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE status = 'registered'),
		       count(*) FILTER (WHERE status = 'existed'),
		       count(*) FILTER (WHERE status = 'error'),
		       coalesce(sum(fcm_tokens_copied), 0),
		       coalesce(sum(apns_devices), 0)
		FROM imshift.migration_users WHERE migration_id = $1`, migrationID,
	).Scan(&c.Registered, &c.AlreadyExisted, &c.Errors, &c.FCMTokensCopied, &c.DevicesOpenIMCannotPush)
	if err != nil {
		return c, fmt.Errorf("count provisioning outcomes: %w", err)
	}
	return c, nil
}
