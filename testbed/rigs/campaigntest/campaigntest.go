// Package campaigntest runs PushCampaign for tests on real parts: a fresh
// PostgreSQL database and Redis database, the Temporal dev server with a
// task queue of the test's own, and the real FCM and APNs senders against
// the provider simulators over TLS. The push package's end-to-end tests and
// the starter's command tests share it.
package campaigntest

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	campaignact "github.com/imshift/imshift/activities/campaign"
	"github.com/imshift/imshift/activities/delivery"
	notifyact "github.com/imshift/imshift/activities/notify"
	"github.com/imshift/imshift/activities/ownership"
	"github.com/imshift/imshift/internal/config"
	"github.com/imshift/imshift/internal/registry"
	"github.com/imshift/imshift/testbed/rigs/openimtest"
	"github.com/imshift/imshift/testbed/simulator/simtest"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/workflows/campaign"
	"github.com/imshift/imshift/workflows/notify"
)

// Identity the APNs simulator accepts.
// Rig is one test's campaign stack on real parts: its own PostgreSQL
// database and Redis database, the shared Temporal dev server with a task
// queue of its own, and both provider simulators over TLS. Everything a
// worker in another process needs is kept too (URLs and key files).
type Rig struct {
	DB        *pgxpool.Pool
	DBURL     string
	Redis     *redis.Client
	RedisURL  string
	Registry  *registry.Store
	Temporal  client.Client
	TaskQueue string
	Senders   map[string]delivery.Sender
	// Retry is the workers' per-device retry policy (zero: the default).
	Retry campaignact.RetryPolicy
	// OpenIM is where the workers' pruner clears dead FCM tokens.
	OpenIM *openimtest.OpenIM
	*simtest.Providers
}

func New(t *testing.T) *Rig {
	t.Helper()
	pool, dbURL := testenv.Database(t)
	rdb, redisURL := testenv.Redis(t)
	providers := simtest.Start(t)
	r := &Rig{
		DB: pool, DBURL: dbURL, Redis: rdb, RedisURL: redisURL,
		Registry:  registry.New(pool),
		Temporal:  testenv.Temporal(t),
		TaskQueue: "campaign-" + strings.ToLower(strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())),
		Senders:   providers.Senders(t, 64),
		Providers: providers,
		OpenIM:    openimtest.Start(t, pool),
	}
	return r
}

// NewWorker returns a worker (not started) with PushCampaign and its
// activities (run ownership's too), for a test that stops and starts workers itself.
func (r *Rig) NewWorker(tuning campaign.Tuning) worker.Worker {
	w := worker.New(r.Temporal, r.TaskQueue, worker.Options{})
	acts := campaignact.New(campaignact.Config{DB: r.DB, Redis: r.Redis, Senders: r.Senders,
		ProviderRate: map[string]int{"fcm": 10000, "apns": 10000}, Retry: r.Retry, OnPruned: r.OpenIM.Pruner.Pruned})
	campaign.Register(w, acts, tuning)
	notify.Register(w, notifyact.New(config.Notify{}, nil)) // no webhooks: notifications just end
	ownership.New(r.DB, r.Temporal).Register(w)
	return w
}

// StartWorker runs PushCampaign and its activities in this process.
func (r *Rig) StartWorker(t *testing.T, tuning campaign.Tuning) {
	t.Helper()
	w := r.NewWorker(tuning)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
}

// Device is a registered device as the tests see it.
type Device struct {
	ID       int64
	Provider string
	Token    string
}

// SeedSpec says what devices to register.
type SeedSpec struct {
	FCM, APNs int
	DeadFCM   int    // FCM tokens with the simulator's "dead-" prefix
	User      string // user id prefix
	TimeZone  string
	Locale    string
}

// Seed registers devices in bulk and returns them in id order.
func (r *Rig) Seed(t *testing.T, s SeedSpec) []Device {
	t.Helper()
	if s.User == "" {
		s.User = "user"
	}
	var batch []registry.Device
	add := func(provider, platform, token string, i int) {
		d := registry.Device{UserID: fmt.Sprintf("%s%d", s.User, i), Platform: platform, Provider: provider,
			Token: token, Locale: s.Locale, TimeZone: s.TimeZone}
		if err := d.Normalize(); err != nil {
			t.Fatal(err)
		}
		batch = append(batch, d)
	}
	for i := range s.FCM {
		tok := fmt.Sprintf("%s-fcm-%06d:APA91b", s.User, i)
		if i < s.DeadFCM {
			tok = "dead-" + tok
		}
		add("fcm", "android", tok, i)
	}
	for i := range s.APNs {
		add("apns", "ios", fmt.Sprintf("%08x%056x", crc32.ChecksumIEEE([]byte(s.User)), i), i)
	}
	if _, err := r.Registry.Import(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	rows, err := r.DB.Query(context.Background(),
		`SELECT id, provider, token FROM imshift.devices WHERE user_id LIKE $1 || '%' ORDER BY id`, s.User)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		var d Device
		if err := rows.Scan(&d.ID, &d.Provider, &d.Token); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// Delivered is how often the simulators delivered to d.
func (r *Rig) Delivered(d Device) int {
	if d.Provider == "apns" {
		return r.APNs.Delivered(d.Token)
	}
	return r.FCM.Delivered(d.Token)
}

// TotalDelivered is every push either simulator delivered.
func (r *Rig) TotalDelivered() int64 {
	return r.FCM.Counters().Sent + r.APNs.Counters().Delivered
}

// Spec is a campaign to everyone, with the example message.
func Spec(id string) campaign.Campaign {
	return campaign.Campaign{Spec: campaignact.Spec{
		CampaignID: id,
		Category:   "marketing",
		Audience:   campaignact.Audience{All: true},
		Message: campaignact.Message{Title: "Spring sale", Body: "20% off today",
			Data:      map[string]string{"deeplink": "app://sale"},
			Localized: map[string]campaignact.Text{"de": {Title: "Frühlingsangebot", Body: "Heute 20% Rabatt"}}},
		Options: campaignact.Options{TTL: "24h", Priority: "normal", CollapseKey: "spring-sale", APNsPushType: "alert", Sound: "default"},
	}}
}

// Start starts a campaign the way the starter does.
func (r *Rig) Start(t *testing.T, c campaign.Campaign) client.WorkflowRun {
	t.Helper()
	if err := campaign.ValidateCampaign(c); err != nil {
		t.Fatal(err)
	}
	run, err := r.Temporal.ExecuteWorkflow(context.Background(),
		campaign.StartCampaignOptions(c.CampaignID, r.TaskQueue), campaign.PushCampaignName, c)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// Finish waits for the campaign's last run and returns its result.
func (r *Rig) Finish(t *testing.T, run client.WorkflowRun) campaign.Progress {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var p campaign.Progress
	if err := r.Temporal.GetWorkflow(ctx, run.GetID(), "").Get(ctx, &p); err != nil {
		t.Fatalf("campaign %s: %v", run.GetID(), err)
	}
	return p
}

// Progress queries the running campaign.
func (r *Rig) Progress(t *testing.T, workflowID string) campaign.Progress {
	t.Helper()
	v, err := r.Temporal.QueryWorkflow(context.Background(), workflowID, "", campaign.QueryProgress)
	if err != nil {
		t.Fatalf("query progress: %v", err)
	}
	var p campaign.Progress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

// HistoryJSON is every event of every run of the workflow, as JSON.
func (r *Rig) HistoryJSON(t *testing.T, workflowID string) (string, int) {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	runs := 0
	resp, err := r.Temporal.ListWorkflow(ctx, listRequest(workflowID))
	if err != nil {
		t.Fatal(err)
	}
	for _, ex := range resp.GetExecutions() {
		runs++
		it := r.Temporal.GetWorkflowHistory(ctx, workflowID, ex.GetExecution().GetRunId(), false, 0)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			j, _ := json.Marshal(ev)
			b.Write(j)
		}
	}
	return b.String(), runs
}

func listRequest(workflowID string) *workflowservice.ListWorkflowExecutionsRequest {
	return &workflowservice.ListWorkflowExecutionsRequest{Query: fmt.Sprintf("WorkflowId = '%s'", workflowID)}
}
