package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/imshift/imshift/internal/field"
	"github.com/imshift/imshift/testbed/testenv"
)

func newStore(t *testing.T) *Store {
	pool, _ := testenv.Database(t)
	return New(pool)
}

func fcmDevice(user string, n int) Device {
	return Device{UserID: user, Platform: "android", Provider: "fcm", Token: fmt.Sprintf("fcm-token-%06d-abcdef", n)}
}

func mustUpsert(t *testing.T, s *Store, d Device) Device {
	t.Helper()
	dev, _, err := s.Upsert(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return dev
}

func TestUpsertCreatesThenMovesToken(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	first, created, err := s.Upsert(ctx, validDevice())
	if err != nil || !created {
		t.Fatalf("first upsert: created=%v err=%v", created, err)
	}
	moved := validDevice()
	moved.UserID, moved.Locale = "u2", "en"
	second, created, err := s.Upsert(ctx, moved)
	if err != nil || created {
		t.Fatalf("second upsert: created=%v err=%v", created, err)
	}
	if second.ID != first.ID || second.UserID != "u2" || second.Locale != "en" {
		t.Fatalf("token did not move in place: %+v -> %+v", first, second)
	}
	if old, _ := s.ListByUser(ctx, "u1"); len(old) != 0 {
		t.Fatalf("u1 still has %d devices", len(old))
	}
	list, err := s.ListByUser(ctx, "u2")
	if err != nil || len(list) != 1 || list[0].Token != MaskToken(apnsToken) || list[0].ID != first.ID {
		t.Fatalf("ListByUser(u2) = %+v, %v", list, err)
	}
}

func TestUpsertRejectsInvalidDevice(t *testing.T) {
	d := validDevice()
	d.Platform = "android"
	_, _, err := newStore(t).Upsert(context.Background(), d)
	var fe *field.Error
	if !errors.As(err, &fe) || fe.Field != "provider" {
		t.Fatalf("got %v", err)
	}
}

func TestInvalidateSkipsAndReRegisterRevives(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	a := mustUpsert(t, s, fcmDevice("u1", 1))
	b := mustUpsert(t, s, fcmDevice("u1", 2))
	n, err := s.Invalidate(ctx, []int64{a.ID}, "UNREGISTERED")
	if err != nil || n != 1 {
		t.Fatalf("Invalidate = %d, %v", n, err)
	}
	if n, _ := s.Invalidate(ctx, []int64{a.ID}, "SENDER_ID_MISMATCH"); n != 0 {
		t.Fatalf("invalidated twice: %d", n)
	}
	page, err := s.Page(ctx, Filter{UserIDs: []string{"u1"}}, 0, 10)
	if err != nil || len(page) != 1 || page[0].ID != b.ID {
		t.Fatalf("Page after invalidate = %+v, %v", page, err)
	}
	if c, _ := s.CountByProvider(ctx, Filter{All: true}); c["fcm"] != 1 {
		t.Fatalf("CountByProvider = %v", c)
	}
	list, _ := s.ListByUser(ctx, "u1")
	if len(list) != 2 || list[0].InvalidatedAt == nil || list[0].InvalidReason != "UNREGISTERED" || list[1].InvalidatedAt != nil {
		t.Fatalf("ListByUser = %+v", list)
	}
	revived, created, err := s.Upsert(ctx, fcmDevice("u1", 1))
	if err != nil || created || revived.ID != a.ID || revived.InvalidatedAt != nil || revived.InvalidReason != "" {
		t.Fatalf("revive = %+v created=%v err=%v", revived, created, err)
	}
	if page, _ := s.Page(ctx, Filter{UserIDs: []string{"u1"}}, 0, 10); len(page) != 2 {
		t.Fatalf("revived device not paged: %d", len(page))
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	d := mustUpsert(t, s, fcmDevice("u1", 1))
	if ok, err := s.Delete(ctx, "fcm", d.Token); !ok || err != nil {
		t.Fatalf("Delete = %v, %v", ok, err)
	}
	if ok, err := s.Delete(ctx, "fcm", d.Token); ok || err != nil {
		t.Fatalf("second Delete = %v, %v", ok, err)
	}
	if list, _ := s.ListByUser(ctx, "u1"); len(list) != 0 {
		t.Fatalf("device still listed")
	}
}

func TestImportNeverOverridesTheRegistry(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	live := mustUpsert(t, s, fcmDevice("new-owner", 1))
	dead := mustUpsert(t, s, fcmDevice("u9", 2))
	if _, err := s.Invalidate(ctx, []int64{dead.ID}, "UNREGISTERED"); err != nil {
		t.Fatal(err)
	}
	batch := []Device{fcmDevice("old-owner", 1), fcmDevice("u9", 2), fcmDevice("u3", 3), fcmDevice("u4", 3)}
	for i := range batch {
		if err := batch[i].Normalize(); err != nil {
			t.Fatal(err)
		}
	}
	res, err := s.Import(ctx, batch)
	if err != nil || res.Inserted != 1 || res.Existing != 3 {
		t.Fatalf("Import = %+v, %v", res, err)
	}
	page, _ := s.Page(ctx, Filter{All: true}, 0, 10)
	owners := map[string]string{}
	for _, d := range page {
		owners[d.Token] = d.UserID
	}
	want := map[string]string{live.Token: "new-owner", fcmDevice("", 3).Token: "u3"}
	if fmt.Sprint(owners) != fmt.Sprint(want) {
		t.Fatalf("after import %v, want %v", owners, want)
	}
}

// seed registers a spread of devices and returns them as registered.
func seed(t *testing.T, s *Store) []Device {
	platforms := []string{"android", "ios", "web"}
	locales := []string{"de", "de-DE", "de_AT", "den", "en-US", "", "pt-BR", "PT_br"}
	var out []Device
	for i := range 60 {
		d := fcmDevice(fmt.Sprintf("u%d", i%7), i)
		d.Platform = platforms[i%3]
		d.Locale = locales[i%len(locales)]
		d.AppID = []string{"com.a", "com.b"}[i%2]
		if i%5 == 0 {
			d.Platform, d.Provider, d.Token = "ios", "apns", fmt.Sprintf("%064x", i)
		}
		out = append(out, mustUpsert(t, s, d))
	}
	return out
}

func TestPageKeysetWithFilters(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	all := seed(t, s)
	invalid := map[int64]bool{}
	var ids []int64
	for i := 0; i < len(all); i += 11 {
		invalid[all[i].ID] = true
		ids = append(ids, all[i].ID)
	}
	if _, err := s.Invalidate(ctx, ids, "UNREGISTERED"); err != nil {
		t.Fatal(err)
	}
	filters := map[string]Filter{
		"all":          {All: true},
		"users":        {UserIDs: []string{"u1", "u3", "nobody"}},
		"platforms":    {All: true, Platforms: []string{"ios", "web"}},
		"providers":    {All: true, Providers: []string{"apns"}},
		"language":     {All: true, Locales: []string{"de"}},
		"exact locale": {All: true, Locales: []string{"pt_br"}},
		"app":          {All: true, AppID: "com.b"},
		"combined":     {UserIDs: []string{"u0", "u2", "u4"}, Platforms: []string{"android", "ios"}, Locales: []string{"DE", "en"}, AppID: "com.a"},
		"no audience":  {},
	}
	for name, f := range filters {
		t.Run(name, func(t *testing.T) {
			var want []int64
			for _, d := range all {
				if !invalid[d.ID] && matches(d, f) {
					want = append(want, d.ID)
				}
			}
			if (len(want) == 0) != (name == "no audience") {
				t.Fatalf("seed gives %d devices for %s; the case checks nothing", len(want), name)
			}
			got := readAll(t, s, f, 4)
			if !slices.Equal(got, want) {
				t.Fatalf("paged %v\nwant  %v", got, want)
			}
			counts, err := s.CountByProvider(ctx, f)
			if err != nil || int(counts["fcm"]+counts["apns"]) != len(want) {
				t.Fatalf("CountByProvider = %v, %v; want %d", counts, err, len(want))
			}
		})
	}
}

// readAll pages through f with the keyset cursor, checking every page.
func readAll(t *testing.T, s *Store, f Filter, limit int) []int64 {
	t.Helper()
	var got []int64
	after := int64(0)
	for {
		page, err := s.Page(context.Background(), f, after, limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > limit {
			t.Fatalf("page of %d > limit %d", len(page), limit)
		}
		for _, d := range page {
			if d.ID <= after || d.Token == "" || strings.Contains(d.Token, "…") {
				t.Fatalf("page out of order or masked: %+v after %d", d, after)
			}
			after = d.ID
			got = append(got, d.ID)
		}
		if len(page) < limit {
			return got
		}
	}
}

// matches is Filter's meaning written plainly, to check the SQL against.
func matches(d Device, f Filter) bool {
	in := func(list []string, v string) bool { return len(list) == 0 || slices.Contains(list, v) }
	if !f.All && (len(f.UserIDs) == 0 || !slices.Contains(f.UserIDs, d.UserID)) {
		return false
	}
	if !in(f.Platforms, d.Platform) || !in(f.Providers, d.Provider) || (f.AppID != "" && f.AppID != d.AppID) {
		return false
	}
	if len(f.Locales) == 0 {
		return true
	}
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, "_", "-")) }
	loc := norm(d.Locale)
	lang, _, _ := strings.Cut(loc, "-")
	for _, l := range f.Locales {
		if norm(l) == loc || norm(l) == lang {
			return true
		}
	}
	return false
}

func TestLocaleMatchesByLanguage(t *testing.T) {
	s := newStore(t)
	for i, loc := range []string{"de", "de-DE", "de_AT", "den", "en"} {
		d := fcmDevice("u1", i)
		d.Locale = loc
		mustUpsert(t, s, d)
	}
	page, err := s.Page(context.Background(), Filter{All: true, Locales: []string{"DE"}}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range page {
		got = append(got, d.Locale)
	}
	if !slices.Equal(got, []string{"de", "de-DE", "de_AT"}) {
		t.Fatalf("locales matched: %v", got)
	}
}

func TestPageRejectsBothAudiences(t *testing.T) {
	s := newStore(t)
	if _, err := s.Page(context.Background(), Filter{All: true, UserIDs: []string{"u1"}}, 0, 10); !errors.Is(err, ErrAudience) {
		t.Fatalf("got %v", err)
	}
}
