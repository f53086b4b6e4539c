package migration

import (
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/redis/go-redis/v9"

	"github.com/imshift/imshift/activities/openim"
	"github.com/imshift/imshift/internal/cohort"
	"github.com/imshift/imshift/testbed/simulator/openimsim"
)

// provisioned provisions every directory user below threshold `to` and
// returns them by bucket order, as the sample takes them.
func (f *fixture) provisioned(ids []string, to int) []string {
	f.t.Helper()
	f.seedUsers(ids...)
	if _, err := f.provision(f.env(), Cohort{MigrationID: "m1", ToThreshold: to, IncludeAllow: true}); err != nil {
		f.t.Fatal(err)
	}
	var out []string
	rows, err := f.db.Query(f.ctx, `SELECT legacy_id FROM imshift.migration_users ORDER BY bucket, legacy_id`)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		must(f.t, rows.Scan(&id))
		out = append(out, id)
	}
	return out
}

// legacyOnline writes presence exactly as the legacy gateway does.
func (f *fixture) legacyOnline(userID, socketID string) {
	f.t.Helper()
	pipe := f.rdb.TxPipeline()
	pipe.SAdd(f.ctx, PresenceUserKey(userID), socketID)
	pipe.Expire(f.ctx, PresenceUserKey(userID), 3600e9)
	pipe.Set(f.ctx, "presence:socket:"+socketID, userID, 3600e9)
	if _, err := pipe.Exec(f.ctx); err != nil {
		f.t.Fatal(err)
	}
}

func TestAnalyzeCountsBothSidesOfTheSample(t *testing.T) {
	f := newFixture(t)
	ids := append(numbered(300), uuidUser)
	all := f.provisioned(ids, 10000)
	// The first 40 sampled: 30 online in OpenIM (one of them on two
	// platforms), 5 still in the legacy stack, 5 nowhere.
	for i, id := range all[:40] {
		switch {
		case i < 30:
			f.sim.SetOnline(OpenIMUserID(id), openim.PlatformAndroid, true)
			if i == 0 {
				f.sim.SetOnline(OpenIMUserID(id), openim.PlatformWeb, true)
			}
		case i < 35:
			f.legacyOnline(id, "sock-"+id)
		}
	}
	// Outside the sample: online everywhere, must not count.
	f.legacyOnline(all[200], "sock-x")
	f.sim.SetOnline(OpenIMUserID(all[201]), openim.PlatformIOS, true)

	var res AnalyzeResult
	in := AnalyzeInput{Cohort: Cohort{MigrationID: "m1", ToThreshold: 10000}, SampleSize: 40, Step: 6}
	must(t, f.exec(f.env(), AnalyzeName, in, &res))
	if res != (AnalyzeResult{Sampled: 40, OpenIMOnline: 30, LegacyOnline: 5}) {
		t.Fatalf("analysis %+v", res)
	}
	expectParityMetrics(t, "m1", "7", 40, 5, 30)
	// A set emptied by disconnects is gone in Redis: not online.
	f.rdb.SRem(f.ctx, PresenceUserKey(all[30]), "sock-"+all[30])
	must(t, f.exec(f.env(), AnalyzeName, in, &res))
	if res.LegacyOnline != 4 {
		t.Fatalf("after a disconnect: %+v", res)
	}
	// Sample larger than the cohort: everyone, once.
	in.SampleSize = 1000
	must(t, f.exec(f.env(), AnalyzeName, in, &res))
	if res.Sampled != len(all) || res.OpenIMOnline != 31 || res.LegacyOnline != 5 {
		t.Fatalf("whole cohort %+v", res)
	}
}

// The sample takes the step's new slice first, then the allow list, then
// earlier slices; errored users are left out.
func TestAnalyzeSamplesTheNewSliceFirst(t *testing.T) {
	f := newFixture(t)
	all := f.provisioned(numbered(400), 10000)
	var early, slice []string
	for _, id := range all {
		if b := cohort.Bucket(id); b < 5000 {
			early = append(early, id)
		} else if b < 8000 {
			slice = append(slice, id)
		}
	}
	for _, id := range slice {
		f.sim.SetOnline(id, openim.PlatformIOS, true)
	}
	allowed := early[0]
	f.legacyOnline(allowed, "s1")
	var res AnalyzeResult
	in := AnalyzeInput{Cohort: Cohort{MigrationID: "m1", FromThreshold: 5000, ToThreshold: 8000, AllowUsers: []string{allowed}}, SampleSize: len(slice)}
	must(t, f.exec(f.env(), AnalyzeName, in, &res))
	if res.Sampled != len(slice) || res.OpenIMOnline != len(slice) || res.LegacyOnline != 0 {
		t.Fatalf("slice only: %+v", res)
	}
	in.SampleSize = len(slice) + 1
	must(t, f.exec(f.env(), AnalyzeName, in, &res))
	if res.Sampled != len(slice)+1 || res.LegacyOnline != 1 {
		t.Fatalf("slice then allow list: %+v", res)
	}
	if _, err := f.db.Exec(f.ctx, `UPDATE imshift.migration_users SET status = 'error' WHERE legacy_id = $1`, slice[0]); err != nil {
		t.Fatal(err)
	}
	in.SampleSize = 10000
	must(t, f.exec(f.env(), AnalyzeName, in, &res))
	if res.Sampled != len(slice)-1+len(early) {
		t.Fatalf("whole cohort without the errored user: %+v", res)
	}
}

// OpenIM or Redis unreachable fails the analysis (the workflow counts it
// as errored, not as healthy).
func TestAnalyzeFailsWhenASideIsUnreachable(t *testing.T) {
	f := newFixture(t)
	f.provisioned(numbered(50), 10000)
	in := AnalyzeInput{Cohort: Cohort{MigrationID: "m1", ToThreshold: 10000}, SampleSize: 10}
	var res AnalyzeResult
	must(t, f.sim.SetFault(openimsim.Fault{Path: "/user/get_users_online_status", HTTPStatus: 502}))
	if err := f.exec(f.env(), AnalyzeName, in, &res); err == nil {
		t.Fatal("analysis passed with OpenIM down")
	}
	f.sim.ClearFaults()
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer dead.Close()
	srv := httptest.NewServer(f.sim)
	defer srv.Close()
	acts, _ := New(Config{DB: f.db, Redis: dead, Directory: "imshift.demo_users",
		OpenIM: openim.New(openim.Config{BaseURL: srv.URL, AdminUserID: openimsim.DefaultAdminUserID, Secret: openimsim.DefaultSecret})})
	env := f.ts.NewTestActivityEnvironment()
	acts.Register(env)
	if err := f.exec(env, AnalyzeName, in, &res); err == nil {
		t.Fatal("analysis passed with Redis down")
	}
}

// expectParityMetrics checks the exported series of the latest analysis of
// a migration step (1-based label).
func expectParityMetrics(t *testing.T, migrationID, step string, sampled, legacy, openimOnline int) {
	t.Helper()
	got := map[string]float64{
		"sampled":      testutil.ToFloat64(analysisSampled.WithLabelValues(migrationID, step)),
		"legacy":       testutil.ToFloat64(analysisOnline.WithLabelValues(migrationID, step, "legacy")),
		"openim":       testutil.ToFloat64(analysisOnline.WithLabelValues(migrationID, step, "openim")),
		"legacy ratio": testutil.ToFloat64(analysisRatio.WithLabelValues(migrationID, step, "legacy")),
		"openim ratio": testutil.ToFloat64(analysisRatio.WithLabelValues(migrationID, step, "openim")),
		"analyses":     testutil.ToFloat64(analyses.WithLabelValues(migrationID, step)),
	}
	want := map[string]float64{
		"sampled": float64(sampled), "legacy": float64(legacy), "openim": float64(openimOnline),
		"legacy ratio": float64(legacy) / float64(sampled), "openim ratio": float64(openimOnline) / float64(sampled),
		"analyses": 1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("metric %s of %s step %s = %v, want %v", k, migrationID, step, got[k], v)
		}
	}
}
