package migration

import (
	"slices"
	"sort"
	"testing"
)

func TestNewRefusesANameThatIsNotSchemaQualified(t *testing.T) {
	for _, name := range []string{"demo_users", "a.b.c", ".x", "x."} {
		if _, err := New(Config{Directory: name}); err == nil {
			t.Errorf("New accepted directory %q", name)
		}
	}
}

// Keyset paging reads every user exactly once, in order, whatever the page
// size, and a directory without face_url works too.
func TestScanDirectoryKeysetPaging(t *testing.T) {
	f := newFixture(t)
	ids := append(numbered(237), "6f1c2d3e-9a7b-4c1d-8e2f-0123456789ab", "Zed", "ana", "José", "b-c")
	f.seedUsers(ids...)
	if _, err := f.db.Exec(f.ctx, `CREATE VIEW imshift.users_view AS SELECT user_id, nickname FROM imshift.demo_users`); err != nil {
		t.Fatal(err)
	}
	var want []string
	if err := f.db.QueryRow(f.ctx, `SELECT array_agg(user_id ORDER BY user_id) FROM imshift.demo_users`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{"imshift.demo_users", "imshift.users_view"} {
		acts, err := New(Config{DB: f.db, Directory: dir, PageSize: 10})
		if err != nil {
			t.Fatal(err)
		}
		q, err := acts.queries(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		pages := 0
		err = acts.scanDirectory(f.ctx, q, "", func(page []dirUser) error {
			pages++
			if len(page) > 10 {
				t.Fatalf("page of %d", len(page))
			}
			for _, u := range page {
				got = append(got, u.ID)
				if u.Nickname != "Nick "+u.ID {
					t.Fatalf("%s: nickname %q", dir, u.Nickname)
				}
				if wantFace := dir == "imshift.demo_users"; (u.FaceURL != "") != wantFace {
					t.Fatalf("%s: face %q", dir, u.FaceURL)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || pages != 25 {
			t.Fatalf("%s: %d pages, %d users, in order %v", dir, pages, len(got), sort.StringsAreSorted(got))
		}
		// Resuming after a cursor reads only what follows it.
		var rest []string
		err = acts.scanDirectory(f.ctx, q, want[99], func(page []dirUser) error {
			for _, u := range page {
				rest = append(rest, u.ID)
			}
			return nil
		})
		if err != nil || !slices.Equal(rest, want[100:]) {
			t.Fatalf("%s: resume read %d users, %v", dir, len(rest), err)
		}
	}
}

func TestDirectoryWithoutTheRequiredColumnsIsRefused(t *testing.T) {
	f := newFixture(t)
	if _, err := f.db.Exec(f.ctx, `CREATE TABLE imshift.people (id text, name text)`); err != nil {
		t.Fatal(err)
	}
	acts, _ := New(Config{DB: f.db, Directory: "imshift.people"})
	if _, err := acts.queries(f.ctx); err == nil {
		t.Fatal("a directory without user_id was accepted")
	}
	acts, _ = New(Config{DB: f.db, Directory: `imshift.missing`})
	if _, err := acts.queries(f.ctx); err == nil {
		t.Fatal("a missing directory was accepted")
	}
}
