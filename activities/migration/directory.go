package migration

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// dirUser is one row of the user directory.
type dirUser struct {
	ID       string
	Nickname string
	FaceURL  string
}

// directoryQueries are the two reads of the directory, built once per
// activity call because face_url is optional.
type directoryQueries struct {
	page   string // keyset page: $1 last id seen, $2 page size
	lookup string // named users: $1 text[]
}

// queries reads the directory's columns and builds its queries. The name is
// quoted as an identifier, so the setting cannot inject SQL.
func (a *Activities) queries(ctx context.Context) (directoryQueries, error) {
	table := a.directory.Sanitize()
	rows, err := a.cfg.DB.Query(ctx, "SELECT * FROM "+table+" LIMIT 0")
	if err != nil {
		return directoryQueries{}, fmt.Errorf("user directory %s: %w", table, err)
	}
	cols := map[string]bool{}
	for _, f := range rows.FieldDescriptions() {
		cols[f.Name] = true
	}
	rows.Close()
	if !cols["user_id"] || !cols["nickname"] {
		return directoryQueries{}, fmt.Errorf("user directory %s needs the columns user_id and nickname", table)
	}
	face := "''"
	if cols["face_url"] {
		face = "coalesce(face_url, '')"
	}
	sel := "SELECT user_id, coalesce(nickname, ''), " + face + " FROM " + table
	return directoryQueries{
		page:   sel + " WHERE user_id > $1 ORDER BY user_id LIMIT $2",
		lookup: sel + " WHERE user_id = ANY($1) ORDER BY user_id",
	}, nil
}

// scanDirectory calls fn with every page of users after the id `after`, in
// user_id order (keyset paging: never OFFSET), until the end or an error.
func (a *Activities) scanDirectory(ctx context.Context, q directoryQueries, after string, fn func([]dirUser) error) error {
	for {
		page, err := a.readUsers(ctx, q.page, after, a.cfg.PageSize)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		if err := fn(page); err != nil {
			return err
		}
		after = page[len(page)-1].ID
	}
}

func (a *Activities) readUsers(ctx context.Context, query string, args ...any) ([]dirUser, error) {
	rows, err := a.cfg.DB.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read user directory: %w", err)
	}
	users, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (dirUser, error) {
		var u dirUser
		err := r.Scan(&u.ID, &u.Nickname, &u.FaceURL)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("read user directory: %w", err)
	}
	return users, nil
}

// cohortFilter decides, for a Cohort, which users a scan concerns.
type cohortFilter struct {
	from, to    int
	allow, deny map[string]bool
}

func newCohortFilter(c Cohort) cohortFilter {
	return cohortFilter{from: c.FromThreshold, to: c.ToThreshold, allow: set(c.AllowUsers), deny: set(c.DenyUsers)}
}

// newInSlice tells whether a user joins the cohort in this slice. Allow-
// listed users never do: they are provisioned with the first step, from the
// allow list itself.
func (f cohortFilter) newInSlice(id string, bucket int) bool {
	return !f.allow[id] && !f.deny[id] && bucket >= f.from && bucket < f.to
}

// onOpenIM is cohort.Rule at the slice's upper threshold.
func (f cohortFilter) onOpenIM(id string, bucket int) bool {
	return f.allow[id] || !f.deny[id] && bucket < f.to
}

func set(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}
