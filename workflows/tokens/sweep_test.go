package tokens_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/imshift/imshift/activities/openim"
	tokensact "github.com/imshift/imshift/activities/tokens"
	"github.com/imshift/imshift/testbed/simulator/openimsim"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/tokens"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// TokenSweep on the real stack: dead FCM tokens leave OpenIM (replaced by
// the user's live token where there is one, expired where not), users never
// provisioned are skipped, devices not refreshed for the stale age are
// removed (and leave OpenIM), and a second sweep finds nothing to do.
func TestTokenSweep(t *testing.T) {
	ctx := context.Background()
	pool, _ := testenv.Database(t)
	sim := openimsim.New(openimsim.Options{})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	oc := openim.New(openim.Config{BaseURL: srv.URL, AdminUserID: openimsim.DefaultAdminUserID, Secret: openimsim.DefaultSecret})

	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []string{"ua", "ub", "ud"} {
		exec(`INSERT INTO imshift.user_id_map (legacy_id, openim_id, migration_id) VALUES ($1, $1, 'm')`, u)
	}
	device := func(user, token string, age time.Duration, dead bool) {
		exec(`INSERT INTO imshift.devices (user_id, platform, provider, token, last_seen_at, invalidated_at, invalid_reason)
			VALUES ($1, 'android', 'fcm', $2, now() - $3::interval, CASE WHEN $4 THEN now() END, CASE WHEN $4 THEN 'UNREGISTERED' END)`,
			user, token, age.String(), dead)
	}
	device("ua", "tok-a-dead", time.Hour, true)
	device("ua", "tok-a-live", time.Hour, false)
	device("ub", "tok-b-dead", time.Hour, true)
	device("uc", "tok-c-dead", time.Hour, true) // never provisioned
	device("ud", "tok-d-stale", 300*24*time.Hour, false)
	device("ue", "tok-e-old", 100*24*time.Hour, false)
	// What OpenIM holds: the tokens the migration copied.
	for u, tok := range map[string]string{"ua": "tok-a-dead", "ub": "tok-b-dead", "ud": "tok-d-stale"} {
		if err := oc.FCMUpdateToken(ctx, u, openim.PlatformAndroid, tok, 30*86400); err != nil {
			t.Fatal(err)
		}
	}

	tc := testenv.Temporal(t)
	queue := "token-sweep-test"
	w := worker.New(tc, queue, worker.Options{})
	tokens.Register(w, tokensact.New(tokensact.Config{DB: pool, OpenIM: oc, StaleAfter: 270 * 24 * time.Hour}))
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	sweep := func(id string) tokens.TokenSweepResult {
		t.Helper()
		run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, tokens.TokenSweepName)
		if err != nil {
			t.Fatal(err)
		}
		var res tokens.TokenSweepResult
		if err := run.Get(ctx, &res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	removedBefore := testutil.ToFloat64(tokensact.StaleRemoved)
	outcomes := []string{"replaced", "expired", "not_provisioned"}
	prunesBefore := map[string]float64{}
	for _, o := range outcomes {
		prunesBefore[o] = testutil.ToFloat64(tokensact.PruneOutcomes.WithLabelValues(o))
	}

	res := sweep("token-sweep-1")
	if d := res.DeadCleared; d.Devices != 3 || d.Replaced != 1 || d.Expired != 1 {
		t.Fatalf("dead tokens: %+v; want 3 devices handled, 1 replaced (ua), 1 expired (ub)", d)
	}
	if s := res.Stale; s.Devices != 1 || s.Expired != 1 {
		t.Fatalf("stale: %+v; want ud's device removed and cleared in OpenIM", s)
	}
	if got := testutil.ToFloat64(tokensact.StaleRemoved) - removedBefore; got != 1 {
		t.Fatalf("imshift_token_stale_removed_total grew by %v, want 1", got)
	}
	for o, want := range map[string]float64{"replaced": 1, "expired": 2, "not_provisioned": 1} {
		if got := testutil.ToFloat64(tokensact.PruneOutcomes.WithLabelValues(o)) - prunesBefore[o]; got != want {
			t.Errorf("imshift_token_openim_prunes_total{outcome=%q} grew by %v, want %v", o, got, want)
		}
	}
	sim.AdvanceClock(2 * time.Second) // expireTime 1 runs out
	want := map[string]string{"ua": "tok-a-live", "ub": "", "ud": ""}
	for u, tok := range want {
		got, _ := sim.FCMToken(u, openim.PlatformAndroid)
		if got != tok {
			t.Fatalf("OpenIM holds %q for %s, want %q", got, u, tok)
		}
	}
	var left []string
	rows, _ := pool.Query(ctx, `SELECT token FROM imshift.devices ORDER BY token`)
	for rows.Next() {
		var tok string
		_ = rows.Scan(&tok)
		left = append(left, tok)
	}
	if len(left) != 5 || left[4] != "tok-e-old" {
		t.Fatalf("devices left: %v; want all but the stale one", left)
	}
	if again := sweep("token-sweep-2"); again.DeadCleared.Devices != 0 || again.Stale.Devices != 0 {
		t.Fatalf("second sweep did something: %+v", again)
	}
}
