package openimsim_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/imshift/imshift/testbed/simulator/openimsim"
)

// hookRequest is one webhook as the receiver saw it.
type hookRequest struct {
	path, user, password, contentType, operationID string
	body                                           map[string]any
}

// receiver records the webhooks it gets and answers OpenIM's envelope.
func receiver(t *testing.T) (string, func() []hookRequest) {
	t.Helper()
	var mu sync.Mutex
	var got []hookRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		h := hookRequest{path: r.URL.Path, contentType: r.Header.Get("Content-Type"), operationID: r.Header.Get("operationID")}
		h.user, h.password, _ = r.BasicAuth()
		if err := json.Unmarshal(raw, &h.body); err != nil || r.Method != http.MethodPost {
			t.Errorf("webhook %s %s: body %q", r.Method, r.URL.Path, raw)
		}
		mu.Lock()
		got = append(got, h)
		mu.Unlock()
		_, _ = io.WriteString(w, `{"actionCode":0,"errCode":0,"errMsg":"","errDlt":"","nextCode":0}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, func() []hookRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]hookRequest(nil), got...)
	}
}

// The presence webhooks leave as OpenIM v3.8's send them: POST url/command,
// the URL's user-info as Basic authentication, the operationID header,
// callbackstruct's fields, an online per platform still online on every
// change, then the offline of the platform that went.
func TestPresenceWebhooksHaveOpenIMsShape(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	url, got := receiver(t)
	if err := h.sim.SetWebhooks(openimsim.WebhookConfig{URL: strings.Replace(url, "http://", "http://openim:s3cret@", 1) + "/openim/webhooks"}); err != nil {
		t.Fatal(err)
	}
	h.sim.SetOnline("u1", 2, true)
	h.sim.SetOnline("u1", 5, true)
	h.sim.SetOnline("u1", 2, false)
	if err := h.sim.WaitWebhooks(context.Background()); err != nil {
		t.Fatal(err)
	}
	hooks := got()
	// online 2 | online 2, online 5 | online 5, offline 2
	want := []struct {
		command  string
		platform float64
		name     string
	}{
		{openimsim.CommandUserOnline, 2, "Android"}, {openimsim.CommandUserOnline, 2, "Android"}, {openimsim.CommandUserOnline, 5, "Web"},
		{openimsim.CommandUserOnline, 5, "Web"}, {openimsim.CommandUserOffline, 2, "Android"},
	}
	if len(hooks) != len(want) {
		t.Fatalf("%d webhooks, want %d: %+v", len(hooks), len(want), hooks)
	}
	seen := map[string]int{}
	for _, hk := range hooks {
		seen[hk.body["callbackCommand"].(string)+":"+hk.body["platform"].(string)]++
	}
	for _, w := range want {
		seen[w.command+":"+w.name]--
	}
	for k, n := range seen {
		if n != 0 {
			t.Errorf("webhook %s: %+d against OpenIM's sequence", k, n)
		}
	}
	for _, hk := range hooks {
		cmd := hk.body["callbackCommand"]
		if hk.path != "/openim/webhooks/"+cmd.(string) || hk.user != "openim" || hk.password != "s3cret" ||
			hk.contentType != "application/json; charset=utf-8" || hk.operationID == "" || hk.body["operationID"] != hk.operationID {
			t.Errorf("webhook request %+v", hk)
		}
		keys := []string{"callbackCommand", "operationID", "platformID", "platform", "userID", "seq", "connID"}
		if cmd == openimsim.CommandUserOnline {
			keys = append(keys, "isAppBackground")
		}
		if len(hk.body) != len(keys) || hk.body["userID"] != "u1" || hk.body["seq"].(float64) <= 0 {
			t.Errorf("webhook body %v; want exactly %v", hk.body, keys)
		}
		for _, k := range keys {
			if _, ok := hk.body[k]; !ok {
				t.Errorf("webhook body %v lacks %s", hk.body, k)
			}
		}
	}
}

// DropRate loses that share of the events, the same ones for the same seed.
func TestWebhookDropRate(t *testing.T) {
	run := func() openimsim.WebhookCounters {
		h := newHarness(t, openimsim.Options{})
		url, _ := receiver(t)
		if err := h.sim.SetWebhooks(openimsim.WebhookConfig{URL: url, DropRate: 0.3, Seed: 7}); err != nil {
			t.Fatal(err)
		}
		// In bursts of 50, under the queue of 100: nothing overflows.
		for i := range 1000 {
			h.sim.SetOnline("u1", 2, i%2 == 0)
			if i%50 == 49 {
				if err := h.sim.WaitWebhooks(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
		}
		return h.sim.WebhookCounters()
	}
	a, b := run(), run()
	if a != b {
		t.Fatalf("same seed, different losses: %+v and %+v", a, b)
	}
	if a.Dropped+a.Sent != 1000 || a.Overflow != 0 || a.Dropped < 250 || a.Dropped > 350 || a.Failed != 0 {
		t.Fatalf("counters %+v; want about 300 of 1 000 dropped", a)
	}
	if err := newHarness(t, openimsim.Options{}).sim.SetWebhooks(openimsim.WebhookConfig{URL: "http://x", DropRate: 1}); err == nil {
		t.Fatal("drop rate 1 accepted")
	}
}
