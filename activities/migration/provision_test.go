package migration

import (
	"errors"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/imshift/imshift/activities/openim"
	"github.com/imshift/imshift/internal/cohort"
	"github.com/imshift/imshift/testbed/simulator/openimsim"
)

const uuidUser = "6f1c2d3e-9a7b-4c1d-8e2f-0123456789ab"

// population is a directory of 600 numbered users plus odd ids, a cohort
// of buckets [0, 3000) with an allow list (one user beyond the slice, one
// not in the directory) and a deny list (one user inside the slice).
type population struct {
	ids         []string
	cohort      Cohort
	allowed     string // in the directory, bucket >= 3000
	denied      string // bucket < 3000
	want        map[string]bool
	onOpenIMTo  int64
	tokenHolder string
}

func newPopulation(f *fixture) *population {
	p := &population{ids: append(numbered(600), uuidUser, "imx_reserved", "a:b", "José")}
	for _, id := range p.ids {
		b := cohort.Bucket(id)
		if p.allowed == "" && b >= 3000 {
			p.allowed = id
		}
		if p.denied == "" && b < 3000 {
			p.denied = id
		}
	}
	p.cohort = Cohort{MigrationID: "m1", FromThreshold: 0, ToThreshold: 3000, IncludeAllow: true,
		AllowUsers: []string{p.allowed, "ghost"}, DenyUsers: []string{p.denied}}
	p.want = map[string]bool{p.allowed: true}
	for _, id := range p.ids {
		if id != p.denied && cohort.Bucket(id) < 3000 {
			p.want[id] = true
		}
	}
	p.onOpenIMTo = int64(len(p.want))
	for _, id := range p.ids {
		if p.want[id] && id != p.allowed {
			p.tokenHolder = id
			break
		}
	}
	f.seedUsers(p.ids...)
	return p
}

func (f *fixture) provision(env interface {
	ExecuteActivity(any, ...any) (converter.EncodedValue, error)
}, c Cohort) (ProvisionResult, error) {
	var res ProvisionResult
	v, err := env.ExecuteActivity(ProvisionStepName, ProvisionInput{Cohort: c})
	if err != nil {
		return res, err
	}
	return res, v.Get(&res)
}

func TestProvisionStepRegistersCopiesTokensAndRecords(t *testing.T) {
	f := newFixture(t)
	p := newPopulation(f)
	now := time.Now()
	holder := p.tokenHolder
	f.device(holder, "ios", "fcm", "tok-ios", now, false)
	f.device(holder, "android", "fcm", "tok-android-old", now.Add(-time.Hour), false)
	f.device(holder, "android", "fcm", "tok-android-new", now, false)
	f.device(holder, "web", "fcm", "tok-web-dead", now, true)
	f.device(holder, "ios", "apns", "apns-1", now, false)
	f.device(holder, "ios", "apns", "apns-2", now, false)
	f.device(holder, "ios", "apns", "apns-dead", now, true)
	f.device(p.allowed, "web", "fcm", "tok-allowed-web", now, false)
	f.device(p.denied, "android", "fcm", "tok-denied", now, false)

	res, err := f.provision(f.env(), p.cohort)
	if err != nil {
		t.Fatal(err)
	}
	n := int64(len(p.want))
	if res.Totals != (ProvisionCounts{Registered: n, FCMTokensCopied: 3, DevicesOpenIMCannotPush: 2}) {
		t.Fatalf("totals %+v, want %d registered", res.Totals, n)
	}
	if res.Scanned != int64(len(p.ids)) || res.Selected != n || res.CohortSize != p.onOpenIMTo ||
		res.AllowFound != 1 || res.NotInDirectory != 1 || res.Skipped != 0 || res.Done != res.Totals {
		t.Fatalf("result %+v", res.ProvisionProgress)
	}
	if got := f.sim.Users(); got != len(p.want) {
		t.Fatalf("simulator holds %d users, want %d", got, len(p.want))
	}
	for id := range p.want {
		u := f.sim.User(OpenIMUserID(id))
		if !u.Registered || u.Nickname != "Nick "+id || !strings.Contains(u.Ex, `"legacyUserId"`) {
			t.Fatalf("user %q in OpenIM: %+v", id, u)
		}
	}
	if f.sim.Registered(p.denied) || f.sim.Registered("ghost") {
		t.Fatal("a denied or unknown user was registered")
	}
	if c := f.sim.Counters(); c.MaxRegisterRequests != 1 {
		t.Fatalf("a user was sent to user_register %d times", c.MaxRegisterRequests)
	}
	for platform, want := range map[int32]string{openim.PlatformIOS: "tok-ios", openim.PlatformAndroid: "tok-android-new"} {
		if tok, ok := f.sim.FCMToken(OpenIMUserID(holder), platform); !ok || tok != want {
			t.Fatalf("platform %d token %q %v, want %q", platform, tok, ok, want)
		}
	}
	if _, ok := f.sim.FCMToken(OpenIMUserID(holder), openim.PlatformWeb); ok {
		t.Fatal("an invalidated token was copied")
	}
	if tok, _ := f.sim.FCMToken(OpenIMUserID(p.allowed), openim.PlatformWeb); tok != "tok-allowed-web" {
		t.Fatalf("allow-listed user's token %q", tok)
	}
	if got := f.count(`SELECT count(*) FROM imshift.migration_users WHERE migration_id = 'm1' AND status = 'registered'`); got != len(p.want) {
		t.Fatalf("%d users recorded", got)
	}
	if got := f.count(`SELECT count(*) FROM imshift.user_id_map`); got != len(p.want) {
		t.Fatalf("%d ids mapped", got)
	}
	var fcm, apns int
	if err := f.db.QueryRow(f.ctx, `SELECT fcm_tokens_copied, apns_devices FROM imshift.migration_users WHERE legacy_id = $1`, holder).Scan(&fcm, &apns); err != nil || fcm != 2 || apns != 2 {
		t.Fatalf("holder row: fcm %d apns %d %v", fcm, apns, err)
	}
	if p.want[uuidUser] {
		var mapped string
		_ = f.db.QueryRow(f.ctx, `SELECT openim_id FROM imshift.user_id_map WHERE legacy_id = $1`, uuidUser).Scan(&mapped)
		if mapped != OpenIMUserID(uuidUser) || !f.sim.Registered(mapped) {
			t.Fatalf("uuid mapped to %q", mapped)
		}
	}

	// Run again: everything is done, nothing is sent again.
	before := f.sim.Counters().Requests
	again, err := f.provision(f.env(), p.cohort)
	if err != nil {
		t.Fatal(err)
	}
	after := f.sim.Counters().Requests
	for _, path := range []string{"/user/user_register", "/user/account_check", "/third/fcm_update_token"} {
		if after[path] != before[path] {
			t.Fatalf("a repeated run called %s %d more times", path, after[path]-before[path])
		}
	}
	if again.Skipped != n || again.Done != (ProvisionCounts{}) || again.Totals != res.Totals {
		t.Fatalf("repeat: skipped %d done %+v totals %+v", again.Skipped, again.Done, again.Totals)
	}
}

// The next step provisions only its own slice.
func TestProvisionStepTakesOnlyTheNewSlice(t *testing.T) {
	f := newFixture(t)
	f.seedUsers(numbered(400)...)
	first := Cohort{MigrationID: "m1", ToThreshold: 1000, IncludeAllow: true}
	if _, err := f.provision(f.env(), first); err != nil {
		t.Fatal(err)
	}
	inFirst := f.sim.Users()
	second := Cohort{MigrationID: "m1", FromThreshold: 1000, ToThreshold: 2500}
	res, err := f.provision(f.env(), second)
	if err != nil {
		t.Fatal(err)
	}
	var want, cumulative int64
	for _, id := range numbered(400) {
		b := cohort.Bucket(id)
		if b >= 1000 && b < 2500 {
			want++
		}
		if b < 2500 {
			cumulative++
		}
	}
	if res.Selected != want || res.Skipped != 0 || int64(f.sim.Users()-inFirst) != want || res.CohortSize != cumulative ||
		res.Totals.Registered != cumulative {
		t.Fatalf("second slice: %+v totals %+v, want %d new, %d in all", res.ProvisionProgress, res.Totals, want, cumulative)
	}
}

// Given a heartbeat, a retried attempt starts after its cursor.
func TestProvisionStepResumesFromTheHeartbeatCursor(t *testing.T) {
	f := newFixture(t)
	ids := numbered(300)
	f.seedUsers(ids...)
	c := Cohort{MigrationID: "m1", ToThreshold: 10000}
	env := f.env()
	env.SetHeartbeatDetails(ProvisionProgress{AllowDone: true, Cursor: ids[199], Scanned: 200, CohortSize: 200,
		Done: ProvisionCounts{Registered: 200}})
	res, err := f.provision(env, c)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		if f.sim.Registered(id) != (i >= 200) {
			t.Fatalf("user %d registered: %v", i, f.sim.Registered(id))
		}
	}
	if res.Scanned != 300 || res.CohortSize != 300 || res.Done.Registered != 300 || res.Totals.Registered != 100 {
		t.Fatalf("resumed %+v totals %+v", res.ProvisionProgress, res.Totals)
	}
}

// A crash mid-step (here OpenIM failing, then the attempt retried with its
// last heartbeat, as Temporal does after a worker dies) finishes the step
// without sending any user to user_register twice.
func TestProvisionStepRetryAfterFailureRegistersNobodyTwice(t *testing.T) {
	f := newFixture(t)
	ids := numbered(500)
	f.seedUsers(ids...)
	c := Cohort{MigrationID: "m1", ToThreshold: 10000}
	if err := f.sim.SetFault(openimsim.Fault{Path: "/user/user_register", Code: 500, Every: 4, Remaining: 1}); err != nil {
		t.Fatal(err)
	}
	env := f.env()
	var last ProvisionProgress
	beats := 0
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
		beats++
		if err := d.Get(&last); err != nil {
			t.Error(err)
		}
	})
	_, err := f.provision(env, c)
	var app *temporal.ApplicationError
	if err == nil || !strings.Contains(err.Error(), "errCode 500") || errors.As(err, &app) && app.NonRetryable() {
		t.Fatalf("first attempt: %v", err)
	}
	if beats == 0 || last.Cursor != ids[149] || last.Done.Registered != 150 {
		t.Fatalf("%d heartbeats, last %+v", beats, last)
	}
	retry := f.env()
	retry.SetHeartbeatDetails(last)
	res, err := f.provision(retry, c)
	if err != nil {
		t.Fatal(err)
	}
	cnt := f.sim.Counters()
	if f.sim.Users() != 500 || cnt.MaxRegisterRequests != 1 || res.Done.Registered != 500 || res.Totals.Registered != 500 {
		t.Fatalf("after retry: %d users, max register requests %d, %+v", f.sim.Users(), cnt.MaxRegisterRequests, res.ProvisionProgress)
	}
}

// One user OpenIM refuses costs only that user; a retry of the step tries
// it again.
func TestProvisionStepRecordsPerUserRefusals(t *testing.T) {
	f := newFixture(t)
	ids := numbered(120)
	f.seedUsers(ids...)
	f.device(ids[7], "android", "fcm", "tok-7", time.Now(), false)
	c := Cohort{MigrationID: "m1", ToThreshold: 10000}
	must(t, f.sim.SetFault(openimsim.Fault{Path: "/user/user_register", UserID: ids[3], Code: 1001}))
	must(t, f.sim.SetFault(openimsim.Fault{Path: "/third/fcm_update_token", UserID: ids[7], Code: 1001}))
	res, err := f.provision(f.env(), c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Totals.Errors != 2 || res.Totals.Registered != 118 || f.sim.Registered(ids[3]) || !f.sim.Registered(ids[4]) {
		t.Fatalf("totals %+v", res.Totals)
	}
	reasons := map[string]string{}
	rows, _ := f.db.Query(f.ctx, `SELECT legacy_id, error FROM imshift.migration_users WHERE status = 'error'`)
	for rows.Next() {
		var id, reason string
		must(t, rows.Scan(&id, &reason))
		reasons[id] = reason
	}
	if reasons[ids[3]] != "openim 1001 ArgsError" || !strings.HasPrefix(reasons[ids[7]], "fcm_update_token: openim 1001") {
		t.Fatalf("reasons %v", reasons)
	}
	if f.count(`SELECT count(*) FROM imshift.user_id_map WHERE legacy_id = $1`, ids[3]) != 0 {
		t.Fatal("a refused user was mapped")
	}
	f.sim.ClearFaults()
	again, err := f.provision(f.env(), c)
	if err != nil {
		t.Fatal(err)
	}
	if again.Selected != 120 || again.Skipped != 118 || again.Totals.Errors != 0 || again.Totals.Registered+again.Totals.AlreadyExisted != 120 {
		t.Fatalf("retry: %+v totals %+v", again.ProvisionProgress, again.Totals)
	}
	if tok, _ := f.sim.FCMToken(ids[7], openim.PlatformAndroid); tok != "tok-7" {
		t.Fatalf("token after retry %q", tok)
	}
}

// A refusal of the call itself (wrong admin, no permission) stops the step
// for good: retrying cannot help.
func TestProvisionStepStopsOnPermissionRefusal(t *testing.T) {
	f := newFixture(t)
	f.seedUsers(numbered(20)...)
	must(t, f.sim.SetFault(openimsim.Fault{Path: "/user/user_register", Code: 1002}))
	_, err := f.provision(f.env(), Cohort{MigrationID: "m1", ToThreshold: 10000})
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != "OpenIMRefused" || !app.NonRetryable() {
		t.Fatalf("error %v", err)
	}
	if f.count(`SELECT count(*) FROM imshift.migration_users`) != 0 {
		t.Fatal("refused users were recorded")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// With a page budget a call stops at the first page end after it; calls
// that go on from the returned progress provision everyone exactly once
// and end with the counts of one whole call.
func TestProvisionStepInPages(t *testing.T) {
	f := newFixture(t)
	p := newPopulation(f)
	in := ProvisionInput{Cohort: p.cohort, PageBudget: time.Nanosecond}
	var res ProvisionResult
	calls := 0
	for {
		res = ProvisionResult{} // an omitted "more" must not keep the last call's
		must(t, f.exec(f.env(), ProvisionStepName, in, &res))
		calls++
		if !res.More {
			break
		}
		if res.Totals.Registered != res.Done.Registered {
			t.Fatalf("call %d: totals %+v, done %+v", calls, res.Totals, res.Done)
		}
		if calls > 20 {
			t.Fatalf("still more after %d calls: %+v", calls, res.ProvisionProgress)
		}
		progress := res.ProvisionProgress
		in.Resume = &progress
	}
	// 604 users in pages of 50: 13 pages, and one more call finds the end.
	if calls < 13 {
		t.Fatalf("%d calls for 13 pages", calls)
	}
	if res.Done.Registered != int64(len(p.want)) || res.Scanned != int64(len(p.ids)) || res.CohortSize != p.onOpenIMTo || res.Skipped != 0 {
		t.Fatalf("after %d calls: %+v", calls, res)
	}
	if n := f.sim.Counters().Users; n != len(p.want) {
		t.Fatalf("OpenIM holds %d users, want %d", n, len(p.want))
	}
}
