package presence_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/imshift/imshift/activities/openim"
	presenceact "github.com/imshift/imshift/activities/presence"
	"github.com/imshift/imshift/testbed/simulator/openimsim"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/worker/api"
	"github.com/imshift/imshift/workflows/presence"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	apiToken      = "presence-test-token-0123456789"
	webhookSecret = "presence-webhook-secret-0123456789"
	users         = 400
)

// rig is the real stack: PostgreSQL, Redis, the OpenIM simulator posting
// its webhooks over HTTP to the worker's API, and a worker on the dev server.
type rig struct {
	sim    *openimsim.Server
	api    *httptest.Server
	tc     client.Client
	queue  string
	userID func(i int) string
}

func newRig(t *testing.T, dropRate float64) *rig {
	t.Helper()
	ctx := context.Background()
	pool, _ := testenv.Database(t)
	rdb, _ := testenv.Redis(t)
	sim := openimsim.New(openimsim.Options{})
	simSrv := httptest.NewServer(sim)
	t.Cleanup(simSrv.Close)
	oc := openim.New(openim.Config{BaseURL: simSrv.URL, AdminUserID: openimsim.DefaultAdminUserID, Secret: openimsim.DefaultSecret})

	apiSrv := httptest.NewServer(api.New(api.Options{
		Tokens:         []string{apiToken},
		Presence:       presenceact.NewResolver(pool, rdb, 0),
		WebhookSecrets: []string{webhookSecret},
	}))
	t.Cleanup(apiSrv.Close)
	hook := strings.Replace(apiSrv.URL, "http://", "http://openim:"+webhookSecret+"@", 1) + "/openim/webhooks"
	if err := sim.SetWebhooks(openimsim.WebhookConfig{URL: hook, DropRate: dropRate, Seed: 7}); err != nil {
		t.Fatal(err)
	}

	r := &rig{sim: sim, api: apiSrv, tc: testenv.Temporal(t), queue: "presence-test-" + t.Name(),
		userID: func(i int) string { return fmt.Sprintf("pu%04d", i) }}
	// Everybody provisioned and routed to OpenIM.
	for i := range users {
		if _, err := pool.Exec(ctx, `INSERT INTO imshift.user_id_map (legacy_id, openim_id, migration_id) VALUES ($1, $1, 'm')`,
			r.userID(i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `INSERT INTO imshift.routing (migration_id, percent, bucket_threshold) VALUES ('m', 100, 10000)`); err != nil {
		t.Fatal(err)
	}
	w := worker.New(r.tc, r.queue, worker.Options{})
	presence.Register(w, presenceact.New(presenceact.Config{DB: pool, Redis: rdb, OpenIM: oc}))
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return r
}

// churn connects and disconnects users on platforms in a fixed
// pseudo-random order, in bursts small enough for OpenIM's webhook queue
// of 100 (so the drop rate is the only loss), and waits for every webhook.
func (r *rig) churn(t *testing.T, changes int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range changes {
		id := r.userID(rnd.IntN(users))
		p := []int32{openim.PlatformIOS, openim.PlatformAndroid, openim.PlatformWeb}[rnd.IntN(3)]
		r.sim.SetOnline(id, p, rnd.IntN(3) > 0)
		if i%20 == 19 {
			if err := r.sim.WaitWebhooks(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := r.sim.WaitWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	if c := r.sim.WebhookCounters(); c.Overflow != 0 || c.Failed != 0 {
		t.Fatalf("webhooks lost to the queue or failed: %+v", c)
	}
}

// disagreements lists users whose answer differs from the simulator's state.
func (r *rig) disagreements(t *testing.T) []string {
	t.Helper()
	ids := make([]string, users)
	for i := range ids {
		ids[i] = r.userID(i)
	}
	got := r.query(t, ids)
	var bad []string
	for i, p := range got {
		var want []string
		for _, pid := range r.sim.User(ids[i]).OnlinePlatformIDs {
			want = append(want, openim.PlatformName(pid))
		}
		if p.UserID != ids[i] || p.Source != presenceact.SourceOpenIM || p.Online != (len(want) > 0) ||
			!slices.Equal(p.Platforms, append([]string{}, want...)) {
			bad = append(bad, fmt.Sprintf("%s: got %+v, OpenIM has %v", ids[i], p, want))
		}
	}
	return bad
}

func (r *rig) query(t *testing.T, ids []string) []presenceact.Presence {
	t.Helper()
	body, _ := json.Marshal(map[string][]string{"userIds": ids})
	req, _ := http.NewRequest(http.MethodPost, r.api.URL+"/v1/presence:query", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("presence:query: HTTP %d", resp.StatusCode)
	}
	var out []presenceact.Presence
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (r *rig) reconcile(t *testing.T) presenceact.ReconcileProgress {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run, err := r.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "presence-reconcile-" + t.Name(), TaskQueue: r.queue},
		presence.PresenceReconcileName, presence.PresenceReconcileInput{PageSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	var out presenceact.ReconcileProgress
	if err := run.Get(ctx, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// With 30 % of OpenIM's webhooks lost, the facade is wrong for many users;
// one PresenceReconcile makes it agree with OpenIM for every user.
func TestReconcileRepairsDroppedWebhooks(t *testing.T) {
	r := newRig(t, 0.3)
	r.churn(t, 3000)
	c := r.sim.WebhookCounters()
	if share := float64(c.Dropped) / float64(c.Dropped+c.Sent); share < 0.25 || share > 0.35 {
		t.Fatalf("webhooks %+v: %.2f dropped, want about 0.3", c, share)
	}
	before := r.disagreements(t)
	if len(before) == 0 {
		t.Fatal("with 30 % of webhooks dropped the facade agrees with OpenIM: the test proves nothing")
	}
	res := r.reconcile(t)
	if after := r.disagreements(t); len(after) > 0 {
		t.Fatalf("after one reconcile %d users disagree with OpenIM (before: %d), e.g. %s", len(after), len(before), after[0])
	}
	if res.Corrected < int64(len(before)) || res.Checked < users {
		t.Fatalf("reconcile %+v: corrected fewer than the %d users that disagreed, or checked fewer than %d", res, len(before), users)
	}
	t.Logf("dropped %d of %d webhooks; %d users disagreed; reconcile %+v", c.Dropped, c.Dropped+c.Sent, len(before), res)
}

// Without loss the webhooks alone keep the facade right, and a reconcile
// finds nothing to change.
func TestWebhooksAloneAgreeWithoutLoss(t *testing.T) {
	r := newRig(t, 0)
	r.churn(t, 1500)
	if c := r.sim.WebhookCounters(); c.Dropped != 0 || c.Sent == 0 {
		t.Fatalf("webhooks %+v: want all sent", c)
	}
	if bad := r.disagreements(t); len(bad) > 0 {
		t.Fatalf("%d users disagree with OpenIM, e.g. %s", len(bad), bad[0])
	}
	if res := r.reconcile(t); res.Corrected != 0 {
		t.Fatalf("reconcile corrected %d users of a facade that agreed", res.Corrected)
	}
}
