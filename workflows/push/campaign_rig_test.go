package push_test

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/imshift/imshift/activities/apns"
	"github.com/imshift/imshift/activities/campaign"
	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/activities/fcm"
	"github.com/imshift/imshift/activities/registry"
	"github.com/imshift/imshift/internal/testenv"
	"github.com/imshift/imshift/simulator/apnssim"
	"github.com/imshift/imshift/simulator/fcmsim"
	"github.com/imshift/imshift/simulator/simtls"
	"github.com/imshift/imshift/workflows/push"
)

// e2eTuning uses pages of 50 so a few hundred devices make many pages, a
// full window and several continue-as-new runs.
var e2eTuning = push.Tuning{PageSize: 50, Window: 4, PlanPages: 4, PagesPerRun: 6}

// Identity the APNs simulator accepts.
const (
	rigTeam  = "TEAM123456"
	rigKey   = "KEY1234567"
	rigTopic = "com.example.chat"
)

// rig is one test's campaign stack on real parts: its own PostgreSQL
// database and Redis database, the shared Temporal dev server with a task
// queue of its own, and both provider simulators over TLS. Everything a
// worker in another process needs is kept too (URLs and key files).
type rig struct {
	DB        *pgxpool.Pool
	DBURL     string
	Redis     *redis.Client
	RedisURL  string
	Registry  *registry.Store
	Temporal  client.Client
	TaskQueue string
	FCM       *fcmsim.Server
	APNs      *apnssim.Server
	FCMURL    string
	APNsURL   string
	CAFile    string
	FCMKey    string // service-account file
	APNsKey   string // .p8 file
	Senders   map[string]delivery.Sender
}

func newRig(t *testing.T) *rig {
	t.Helper()
	pool, dbURL := testenv.Database(t)
	rdb, redisURL := testenv.Redis(t)
	ca, err := simtls.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{
		DB: pool, DBURL: dbURL, Redis: rdb, RedisURL: redisURL,
		Registry:  registry.New(pool),
		Temporal:  testenv.Temporal(t),
		TaskQueue: "campaign-" + strings.ToLower(strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())),
		CAFile:    writeTemp(t, "ca.pem", ca.CertPEM()),
		Senders:   map[string]delivery.Sender{},
	}
	r.startFCM(t, ca)
	r.startAPNs(t, ca)
	return r
}

func (r *rig) startFCM(t *testing.T, ca *simtls.CA) {
	r.FCM = fcmsim.New(fcmsim.Options{ProjectID: "imshift-test"})
	r.FCMURL = serveTLSHandler(t, r.FCM, ca)
	key, err := fcmsim.ServiceAccountJSON(r.FCMURL+"/token", r.FCM.ProjectID())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.FCM.RegisterServiceAccount(key); err != nil {
		t.Fatal(err)
	}
	r.FCMKey = writeTemp(t, "sa.json", key)
	s, err := fcm.NewSender(context.Background(), fcm.Config{CredentialsFile: r.FCMKey, Endpoint: r.FCMURL, RootCAs: ca.Pool()})
	if err != nil {
		t.Fatal(err)
	}
	r.Senders[registry.ProviderFCM] = s
}

func (r *rig) startAPNs(t *testing.T, ca *simtls.CA) {
	p8, pub, err := apnssim.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	r.APNs = apnssim.New(apnssim.Options{TeamID: rigTeam, KeyID: rigKey, Topic: rigTopic, PublicKey: pub})
	ts := r.APNs.StartTLS(ca)
	t.Cleanup(ts.Close)
	r.APNsURL = ts.URL
	r.APNsKey = writeTemp(t, "AuthKey.p8", p8)
	s, err := apns.NewSender(apns.Config{KeyFile: r.APNsKey, KeyID: rigKey, TeamID: rigTeam, Topic: rigTopic,
		Endpoint: r.APNsURL, RootCAs: ca.Pool(), Streams: 64})
	if err != nil {
		t.Fatal(err)
	}
	r.Senders[registry.ProviderAPNs] = s
}

// startWorker runs PushCampaign and its activities in this process.
func (r *rig) startWorker(t *testing.T) {
	t.Helper()
	w := worker.New(r.Temporal, r.TaskQueue, worker.Options{})
	acts := campaign.New(campaign.Config{DB: r.DB, Redis: r.Redis, Senders: r.Senders,
		ProviderRate: map[string]int{"fcm": 10000, "apns": 10000}})
	push.RegisterCampaign(w, acts, e2eTuning)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
}

// device is a registered device as the tests see it.
type device struct {
	ID       int64
	Provider string
	Token    string
}

// seedSpec says what devices to register.
type seedSpec struct {
	FCM, APNs int
	DeadFCM   int    // FCM tokens with the simulator's "dead-" prefix
	User      string // user id prefix
	TimeZone  string
	Locale    string
}

// seed registers devices in bulk and returns them in id order.
func (r *rig) seed(t *testing.T, s seedSpec) []device {
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
	var out []device
	for rows.Next() {
		var d device
		if err := rows.Scan(&d.ID, &d.Provider, &d.Token); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// delivered is how often the simulators delivered to d.
func (r *rig) delivered(d device) int {
	if d.Provider == "apns" {
		return r.APNs.Delivered(d.Token)
	}
	return r.FCM.Delivered(d.Token)
}

// totalDelivered is every push either simulator delivered.
func (r *rig) totalDelivered() int64 {
	return r.FCM.Counters().Sent + r.APNs.Counters().Delivered
}

// spec is a campaign to everyone, with the example message.
func spec(id string) push.Campaign {
	return push.Campaign{Spec: campaign.Spec{
		CampaignID: id,
		Category:   "marketing",
		Audience:   campaign.Audience{All: true},
		Message: campaign.Message{Title: "Spring sale", Body: "20% off today",
			Data:      map[string]string{"deeplink": "app://sale"},
			Localized: map[string]campaign.Text{"de": {Title: "Frühlingsangebot", Body: "Heute 20% Rabatt"}}},
		Options: campaign.Options{TTL: "24h", Priority: "normal", CollapseKey: "spring-sale", APNsPushType: "alert", Sound: "default"},
	}}
}

// start starts a campaign the way the starter does.
func (r *rig) start(t *testing.T, c push.Campaign) client.WorkflowRun {
	t.Helper()
	if err := push.ValidateCampaign(c); err != nil {
		t.Fatal(err)
	}
	run, err := r.Temporal.ExecuteWorkflow(context.Background(),
		push.StartCampaignOptions(c.CampaignID, r.TaskQueue), push.PushCampaignName, c)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

// finish waits for the campaign's last run and returns its result.
func (r *rig) finish(t *testing.T, run client.WorkflowRun) push.Progress {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var p push.Progress
	if err := r.Temporal.GetWorkflow(ctx, run.GetID(), "").Get(ctx, &p); err != nil {
		t.Fatalf("campaign %s: %v", run.GetID(), err)
	}
	return p
}

// progress queries the running campaign.
func (r *rig) progress(t *testing.T, workflowID string) push.Progress {
	t.Helper()
	v, err := r.Temporal.QueryWorkflow(context.Background(), workflowID, "", push.QueryProgress)
	if err != nil {
		t.Fatalf("query progress: %v", err)
	}
	var p push.Progress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitFor polls cond every 50 ms until it holds or a minute passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// historyJSON is every event of every run of the workflow, as JSON.
func (r *rig) historyJSON(t *testing.T, workflowID string) (string, int) {
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

func serveTLSHandler(t *testing.T, h http.Handler, ca *simtls.CA) string {
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.TLS = ca.ServerTLSConfig()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

func writeTemp(t *testing.T, name string, b []byte) string {
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
