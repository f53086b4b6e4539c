package registry

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Filter selects valid devices. The audience is either UserIDs (those users'
// devices) or All (every device); the other fields narrow it. An empty list
// does not narrow.
type Filter struct {
	UserIDs   []string
	All       bool
	Platforms []string // ios | android | web
	Providers []string // fcm | apns
	// Locales match a device's locale exactly or by language: "de" matches
	// "de", "de-DE" and "de_AT"; "pt-BR" matches only "pt-BR" (case and
	// "-"/"_" do not matter).
	Locales []string
	AppID   string
}

// ErrAudience is returned for a Filter with both UserIDs and All.
var ErrAudience = errors.New("registry: filter has both UserIDs and All")

// where builds the WHERE clause for f after the keyset position. Only the
// predicates f uses are written out, so the planner sees a plain query it can
// serve from the primary key or the user_id index.
func (f Filter) where(afterID int64) (string, []any) {
	conds := []string{"invalidated_at IS NULL", "id > $1"}
	args := []any{afterID}
	add := func(cond string, arg any) {
		args = append(args, arg)
		conds = append(conds, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if !f.All {
		add("user_id = ANY($?)", f.UserIDs)
	}
	if len(f.Platforms) > 0 {
		add("platform = ANY($?)", f.Platforms)
	}
	if len(f.Providers) > 0 {
		add("provider = ANY($?)", f.Providers)
	}
	if len(f.Locales) > 0 {
		locales := make([]string, len(f.Locales))
		for i, l := range f.Locales {
			locales[i] = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(l), "_", "-"))
		}
		add(`(lower(replace(locale, '_', '-')) = ANY($?)
			OR lower(split_part(replace(locale, '_', '-'), '-', 1)) = ANY($?))`, locales)
	}
	if f.AppID != "" {
		add("app_id = $?", f.AppID)
	}
	return strings.Join(conds, " AND "), args
}

// empty reports a filter that can match nothing without asking the database.
func (f Filter) empty() (bool, error) {
	if f.All && len(f.UserIDs) > 0 {
		return true, ErrAudience
	}
	return !f.All && len(f.UserIDs) == 0, nil
}

// Page returns up to limit valid devices matching f with id > afterID, in id
// order, real tokens included. Pass the last ID of a page as afterID to read
// the next; a page shorter than limit is the last. Keyset paging keeps every
// page as cheap as the first however deep the cursor is.
func (s *Store) Page(ctx context.Context, f Filter, afterID int64, limit int) ([]Device, error) {
	if empty, err := f.empty(); empty || err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, fmt.Errorf("registry: page limit %d", limit)
	}
	where, args := f.where(afterID)
	args = append(args, limit)
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM imshift.devices WHERE `+where+
		` ORDER BY id LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("registry: page devices: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Device, error) { return scanDevice(r) })
	if err != nil {
		return nil, fmt.Errorf("registry: page devices: %w", err)
	}
	return out, nil
}

// CountByProvider counts the valid devices matching f per provider, for a
// dry run's audience size. Providers without devices are absent.
func (s *Store) CountByProvider(ctx context.Context, f Filter) (map[string]int64, error) {
	counts := map[string]int64{}
	if empty, err := f.empty(); empty || err != nil {
		return counts, err
	}
	where, args := f.where(0)
	rows, err := s.pool.Query(ctx, `SELECT provider, count(*) FROM imshift.devices WHERE `+where+
		` GROUP BY provider`, args...)
	if err != nil {
		return nil, fmt.Errorf("registry: count devices: %w", err)
	}
	var provider string
	var n int64
	_, err = pgx.ForEachRow(rows, []any{&provider, &n}, func() error {
		counts[provider] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("registry: count devices: %w", err)
	}
	return counts, nil
}

// ListByUser returns every device of a user, invalidated ones included, in
// registration order, with tokens masked (MaskToken): it is for showing to
// people, never for sending.
func (s *Store) ListByUser(ctx context.Context, userID string) ([]Device, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM imshift.devices WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("registry: list devices: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Device, error) {
		d, err := scanDevice(r)
		d.Token = MaskToken(d.Token)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("registry: list devices: %w", err)
	}
	return out, nil
}
