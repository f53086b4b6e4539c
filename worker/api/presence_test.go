package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/imshift/imshift/activities/presence"
	"github.com/imshift/imshift/internal/cohort"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/worker/api"
)

const hookSecret = "webhook-secret-for-tests-0001"

type presenceRig struct {
	url  string
	pool *pgxpool.Pool
	rdb  *redis.Client
}

func newPresenceRig(t *testing.T) *presenceRig {
	pool, _ := testenv.Database(t)
	rdb, _ := testenv.Redis(t)
	srv := httptest.NewServer(api.New(api.Options{
		Tokens: []string{oldToken}, Presence: presence.NewResolver(pool, rdb, 0), WebhookSecrets: []string{hookSecret},
	}))
	t.Cleanup(srv.Close)
	return &presenceRig{url: srv.URL, pool: pool, rdb: rdb}
}

// hook posts one OpenIM presence callback as OpenIM's client does.
func (r *presenceRig) hook(t *testing.T, command, secret string, body map[string]any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, r.url+"/openim/webhooks/"+command, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("operationID", "p_1_1")
	if secret != "" {
		req.SetBasicAuth("openim", secret)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer is not a JSON object: %q", raw)
	}
	return resp.StatusCode, out
}

func online(user string, platform int, seq int64) map[string]any {
	return map[string]any{"callbackCommand": "callbackAfterUserOnlineCommand", "operationID": "p_1_1", "platformID": platform,
		"platform": "Android", "userID": user, "seq": seq, "isAppBackground": false, "connID": ""}
}

func offline(user string, platform int, seq int64) map[string]any {
	return map[string]any{"callbackCommand": "callbackAfterUserOfflineCommand", "operationID": "p_1_1", "platformID": platform,
		"platform": "Android", "userID": user, "seq": seq, "connID": ""}
}

func (r *presenceRig) get(t *testing.T, user string) presence.Presence {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.url+"/v1/users/"+user+"/presence", nil)
	req.Header.Set("Authorization", "Bearer "+oldToken)
	status, body := do(t, req)
	if status != http.StatusOK {
		t.Fatalf("GET presence of %s: %d %v", user, status, body)
	}
	raw, _ := json.Marshal(body)
	var p presence.Presence
	_ = json.Unmarshal(raw, &p)
	return p
}

func (r *presenceRig) query(t *testing.T, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.url+"/v1/presence:query", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+oldToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

func (r *presenceRig) route(t *testing.T, threshold int, allow []string, legacyPresence bool) {
	t.Helper()
	if _, err := r.pool.Exec(context.Background(), `
		INSERT INTO imshift.routing (migration_id, percent, bucket_threshold, allow_users, legacy_presence_enabled)
		VALUES ('m', $1 / 100.0, $1, $2, $3)
		ON CONFLICT (migration_id) DO UPDATE SET bucket_threshold = $1, percent = $1 / 100.0,
			allow_users = $2, legacy_presence_enabled = $3, updated_at = now()`, threshold, allow, legacyPresence); err != nil {
		t.Fatal(err)
	}
}

func TestWebhookIntake(t *testing.T) {
	r := newPresenceRig(t)
	r.route(t, 10000, []string{}, true)
	seq := time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC).UnixMilli()

	for _, secret := range []string{"", "wrong-secret-wrong-secret"} {
		if status, body := r.hook(t, "callbackAfterUserOnlineCommand", secret, online("u1", 2, seq)); status != 401 || body["errCode"] != 1002.0 {
			t.Fatalf("secret %q: %d %v; want 401 with errCode 1002", secret, status, body)
		}
	}
	if status, body := r.hook(t, "callbackBeforeSendSingleMsgCommand", hookSecret, online("u1", 2, seq)); status != 404 || body["nextCode"] != 0.0 {
		t.Fatalf("other command: %d %v; want 404 and nextCode 0 (never blocks OpenIM)", status, body)
	}
	if status, _ := r.hook(t, "callbackAfterUserOfflineCommand", hookSecret, online("u1", 2, seq)); status != 400 {
		t.Fatalf("callbackCommand not the URL's: %d; want 400", status)
	}
	if status, _ := r.hook(t, "callbackAfterUserOnlineCommand", hookSecret, online("u-1", 2, seq)); status != 400 {
		t.Fatalf("illegal userID: %d; want 400", status)
	}
	if p := r.get(t, "u1"); p.Online || p.Since != nil || p.Source != "openim" {
		t.Fatalf("refused events changed presence: %+v", p)
	}

	status, body := r.hook(t, "callbackAfterUserOnlineCommand", hookSecret, online("u1", 2, seq))
	want := map[string]any{"actionCode": 0.0, "errCode": 0.0, "errMsg": "", "errDlt": "", "nextCode": 0.0}
	if status != 200 || fmt.Sprint(body) != fmt.Sprint(want) {
		t.Fatalf("online: %d %v; want 200 %v", status, body, want)
	}
	// The 10-minute renewal repeats online: since stays.
	r.hook(t, "callbackAfterUserOnlineCommand", hookSecret, online("u1", 2, seq+600_000))
	r.hook(t, "callbackAfterUserOnlineCommand", hookSecret, online("u1", 5, seq+1000))
	p := r.get(t, "u1")
	if !p.Online || fmt.Sprint(p.Platforms) != "[Android Web]" || !p.Since.Equal(time.UnixMilli(seq)) {
		t.Fatalf("after online on 2 and 5: %+v", p)
	}
	// An offline older than the newest event of that platform is stale.
	r.hook(t, "callbackAfterUserOfflineCommand", hookSecret, offline("u1", 2, seq+500))
	r.hook(t, "callbackAfterUserOfflineCommand", hookSecret, offline("u1", 5, seq+2000))
	if p := r.get(t, "u1"); !p.Online || fmt.Sprint(p.Platforms) != "[Android]" {
		t.Fatalf("stale offline applied, or Web still online: %+v", p)
	}
	r.hook(t, "callbackAfterUserKickOffCommand", hookSecret, map[string]any{"callbackCommand": "callbackAfterUserKickOffCommand",
		"operationID": "p_1_2", "platformID": 2, "platform": "Android", "userID": "u1", "seq": seq + 700_000})
	if p := r.get(t, "u1"); p.Online || len(p.Platforms) != 0 || !p.Since.Equal(time.UnixMilli(seq+700_000)) {
		t.Fatalf("after kick-off of the last platform: %+v; want offline since the kick", p)
	}
}

func TestPresenceFollowsRouting(t *testing.T) {
	r := newPresenceRig(t)
	ctx := context.Background()
	// Pick one user on each side of a 50 % threshold, and one allow-listed.
	var low, high string
	for i := 0; low == "" || high == ""; i++ {
		id := fmt.Sprintf("user%d", i)
		if cohort.Bucket(id) < 5000 && low == "" {
			low = id
		} else if cohort.Bucket(id) >= 5000 && high == "" {
			high = id
		}
	}
	for _, u := range []string{low, high, "staff_1"} {
		r.rdb.SAdd(ctx, "presence:user:"+u, "sock-"+u) // online on Socket.IO
	}
	r.hook(t, "callbackAfterUserOnlineCommand", hookSecret, online(low, 1, 1)) // and the facade knows low

	source := func(u string) (string, bool) { p := r.get(t, u); return p.Source, p.Online }
	check := func(stage string, want map[string]string) {
		t.Helper()
		for u, src := range want {
			if got, on := source(u); got != src || !on {
				t.Fatalf("%s: %s answered from %s (online %v); want %s, online", stage, u, got, on, src)
			}
		}
	}
	// No routing row yet: everybody is on Socket.IO.
	check("no routing", map[string]string{low: "legacy", high: "legacy", "staff_1": "legacy"})
	r.route(t, 5000, []string{"staff_1"}, true)
	if got, _ := source("staff_1"); got != "openim" {
		t.Fatalf("allow-listed user answered from %s", got)
	}
	check("50 %", map[string]string{low: "openim", high: "legacy"})
	// A rollback to 0 % sends low back to Socket.IO: answered from the
	// legacy set again.
	r.route(t, 0, []string{}, true)
	check("rolled back", map[string]string{low: "legacy", high: "legacy", "staff_1": "legacy"})
	r.route(t, 5000, []string{"staff_1"}, true)
	// Decommission turned legacy presence off: everybody from OpenIM, and
	// the legacy set no longer counts.
	r.route(t, 10000, []string{}, false)
	if p := r.get(t, high); p.Source != "openim" || p.Online {
		t.Fatalf("after decommission: %+v; want OpenIM's answer (offline)", p)
	}

	status, raw := r.query(t, fmt.Sprintf(`{"userIds":[%q,%q]}`, low, high))
	var list []presence.Presence
	if status != 200 || json.Unmarshal(raw, &list) != nil || len(list) != 2 || list[0].UserID != low || !list[0].Online || list[1].Online {
		t.Fatalf("query: %d %s", status, raw)
	}
}

func TestPresenceQueryRefusesBadInput(t *testing.T) {
	r := newPresenceRig(t)
	many := make([]string, 1001)
	for i := range many {
		many[i] = fmt.Sprintf("u%d", i)
	}
	tooMany, _ := json.Marshal(map[string][]string{"userIds": many})
	most, _ := json.Marshal(map[string][]string{"userIds": many[:1000]})
	var list []presence.Presence
	if status, raw := r.query(t, string(most)); status != 200 || json.Unmarshal(raw, &list) != nil || len(list) != 1000 {
		t.Fatalf("1 000 ids: %d, %d answers; want 200 and 1 000", status, len(list))
	}
	for body, field := range map[string]string{
		`{"userIds":[]}`:        "userIds",
		string(tooMany):         "userIds",
		`{"userIds":["ok",""]}`: "userIds[1]",
		`{"userIds":["a b"]}`:   "userIds[0]",
		`{"users":["a"]}`:       "users",
	} {
		status, raw := r.query(t, body)
		var e map[string]string
		if status != 400 || json.Unmarshal(raw, &e) != nil || e["field"] != field {
			t.Fatalf("%.40s: %d %s; want 400 naming %s", body, status, raw, field)
		}
	}
}

// The presence routes take the API's bearer tokens like every /v1 route;
// the webhook route takes OpenIM's secret instead (TestWebhookIntake).
func TestPresenceNeedsABearerToken(t *testing.T) {
	r := newPresenceRig(t)
	for _, auth := range []string{"", "Bearer not-a-configured-token"} {
		get, _ := http.NewRequest(http.MethodGet, r.url+"/v1/users/u1/presence", nil)
		post, _ := http.NewRequest(http.MethodPost, r.url+"/v1/presence:query", strings.NewReader(`{"userIds":["u1"]}`))
		for _, req := range []*http.Request{get, post} {
			req.Header.Set("Authorization", auth)
			if status, body := do(t, req); status != http.StatusUnauthorized || body["error"] == nil {
				t.Fatalf("%s %s with %q: %d %v; want 401", req.Method, req.URL.Path, auth, status, body)
			}
		}
	}
}
