package migration

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// listener hears both announcement channels, as a gateway would.
type listener struct {
	f    *fixture
	conn *pgx.Conn
	msgs <-chan string
}

func (f *fixture) listen() *listener {
	f.t.Helper()
	conn, err := pgx.Connect(f.ctx, f.dbURL)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { conn.Close(f.ctx) })
	if _, err := conn.Exec(f.ctx, "LISTEN "+NotifyChannel); err != nil {
		f.t.Fatal(err)
	}
	sub := f.rdb.Subscribe(f.ctx, PublishChannel)
	f.t.Cleanup(func() { sub.Close() })
	if _, err := sub.Receive(f.ctx); err != nil { // the subscription confirmation
		f.t.Fatal(err)
	}
	msgs := make(chan string, 16)
	go func() {
		for m := range sub.Channel() {
			msgs <- m.Payload
		}
	}()
	return &listener{f: f, conn: conn, msgs: msgs}
}

// next returns the next announcement from PostgreSQL and from Redis.
func (l *listener) next() (pg, rd Announcement) {
	l.f.t.Helper()
	n, err := l.conn.WaitForNotification(l.f.ctx)
	if err != nil {
		l.f.t.Fatalf("NOTIFY: %v", err)
	}
	if err := json.Unmarshal([]byte(n.Payload), &pg); err != nil {
		l.f.t.Fatalf("NOTIFY payload %q: %v", n.Payload, err)
	}
	select {
	case p := <-l.msgs:
		if err := json.Unmarshal([]byte(p), &rd); err != nil {
			l.f.t.Fatalf("PUBLISH payload %q: %v", p, err)
		}
	case <-time.After(10 * time.Second):
		l.f.t.Fatal("no PUBLISH")
	}
	return pg, rd
}

type routingRow struct {
	percent                   float64
	threshold                 int
	allow, deny               []string
	revision                  int64
	legacyPush, legacyPresent bool
}

func (f *fixture) routing(id string) routingRow {
	f.t.Helper()
	var r routingRow
	err := f.db.QueryRow(f.ctx, `
		SELECT percent::float8, bucket_threshold, allow_users, deny_users, revision, legacy_push_enabled, legacy_presence_enabled
		FROM imshift.routing WHERE migration_id = $1`, id).
		Scan(&r.percent, &r.threshold, &r.allow, &r.deny, &r.revision, &r.legacyPush, &r.legacyPresent)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func TestFlipRoutingWritesAnnouncesAndIsIdempotent(t *testing.T) {
	f := newFixture(t)
	l := f.listen()
	env := f.env()
	in := FlipInput{MigrationID: "m1", Percent: 12.5, AllowUsers: []string{"staff_001"}, DenyUsers: []string{"vip"},
		LegacyPushEnabled: true, LegacyPresenceEnabled: true}
	var res FlipResult
	if err := f.exec(env, FlipRoutingName, in, &res); err != nil {
		t.Fatal(err)
	}
	if res.Revision != 1 || !res.Changed || res.BucketThreshold != 1250 {
		t.Fatalf("first flip %+v", res)
	}
	want := Announcement{MigrationID: "m1", Revision: 1, Percent: 12.5, BucketThreshold: 1250, LegacyPushEnabled: true, LegacyPresenceEnabled: true}
	if pg, rd := l.next(); pg != want || rd != want {
		t.Fatalf("announced %+v / %+v, want %+v", pg, rd, want)
	}
	row := f.routing("m1")
	if row.percent != 12.5 || row.threshold != 1250 || row.revision != 1 || !slices.Equal(row.allow, []string{"staff_001"}) ||
		!slices.Equal(row.deny, []string{"vip"}) || !row.legacyPush || !row.legacyPresent {
		t.Fatalf("row %+v", row)
	}

	// A retried flip to the same values: no new revision, announced again.
	if err := f.exec(env, FlipRoutingName, in, &res); err != nil {
		t.Fatal(err)
	}
	if res.Revision != 1 || res.Changed {
		t.Fatalf("repeated flip %+v", res)
	}
	if pg, rd := l.next(); pg != want || rd != want {
		t.Fatalf("re-announced %+v / %+v", pg, rd)
	}

	// Abort-like flip: percent 0, no allow list (NULL never reaches the row).
	in = FlipInput{MigrationID: "m1", LegacyPushEnabled: true, LegacyPresenceEnabled: false}
	if err := f.exec(env, FlipRoutingName, in, &res); err != nil {
		t.Fatal(err)
	}
	if res.Revision != 2 || !res.Changed {
		t.Fatalf("change flip %+v", res)
	}
	pg, _ := l.next()
	if pg.Revision != 2 || pg.Percent != 0 || pg.BucketThreshold != 0 || pg.LegacyPresenceEnabled {
		t.Fatalf("announced %+v", pg)
	}
	row = f.routing("m1")
	if row.allow == nil || len(row.allow) != 0 || row.deny == nil || row.revision != 2 || row.legacyPresent {
		t.Fatalf("row %+v", row)
	}
	// Another migration has its own row and revision.
	if err := f.exec(env, FlipRoutingName, FlipInput{MigrationID: "m2", Percent: 100}, &res); err != nil || res.Revision != 1 {
		t.Fatalf("m2: %+v %v", res, err)
	}
}

func TestFlipRoutingRefusesBadInput(t *testing.T) {
	f := newFixture(t)
	var res FlipResult
	err := f.exec(f.env(), FlipRoutingName, FlipInput{MigrationID: "m1", Percent: 120}, &res)
	if err == nil || f.count(`SELECT count(*) FROM imshift.routing`) != 0 {
		t.Fatalf("bad flip: %v", err)
	}
}
