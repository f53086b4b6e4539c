package openimsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/imshift/imshift/testbed/simulator/openimsim"
)

// ctl calls the control surface and decodes its JSON answer into out.
func (h *harness) ctl(method, path, body string, out any) int {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.url+path, strings.NewReader(body))
	resp, err := h.hc.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			h.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

func (h *harness) ctlOK(method, path, body string) {
	h.t.Helper()
	var ok struct{ OK bool }
	if st := h.ctl(method, path, body, &ok); st != http.StatusOK || !ok.OK {
		h.t.Fatalf("%s %s %s: HTTP %d ok=%v", method, path, body, st, ok.OK)
	}
}

func TestControlOnlineAndUsers(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	admin := h.adminToken()
	wantOK(t, h.register(admin, "u1"))
	h.ctlOK("POST", "/_sim/online", `{"userID":"u1","platformID":2,"online":true}`)
	h.ctlOK("POST", "/_sim/online", `{"userID":"u1","platformID":9,"online":true}`)
	h.ctlOK("POST", "/_sim/online", `{"userID":"u1","platformID":9,"online":false}`)
	wantOK(t, h.post("/third/fcm_update_token", admin, `{"account":"u1","platformID":2,"fcmToken":"tok2"}`))

	var st openimsim.UserState
	h.ctl("GET", "/_sim/users/u1", "", &st)
	if !st.Registered || st.Nickname != "n_u1" || st.RegisterRequests != 1 ||
		len(st.OnlinePlatformIDs) != 1 || st.OnlinePlatformIDs[0] != 2 || st.FCMTokens[2] != "tok2" {
		t.Fatalf("user state %+v", st)
	}
	var ok struct{ OK bool }
	h.ctl("DELETE", "/_sim/users/u1", "", &ok)
	if !ok.OK || h.sim.Registered("u1") {
		t.Fatal("DELETE /_sim/users/u1 removes the user")
	}
	h.ctl("DELETE", "/_sim/users/u1", "", &ok)
	if ok.OK {
		t.Fatal("deleting a missing user answers ok=false")
	}
	for _, bad := range []string{`{"userID":"","platformID":2,"online":true}`, `{"userID":"u","platformID":12,"online":true}`, `{"userID":"u","platformID":2,"onlin":true}`, `nope`} {
		var e struct{ Error string }
		if code := h.ctl("POST", "/_sim/online", bad, &e); code != http.StatusBadRequest || e.Error == "" {
			t.Fatalf("%s: HTTP %d %+v", bad, code, e)
		}
	}
}

func TestControlSecretAndClock(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	admin := h.adminToken()
	h.ctlOK("POST", "/_sim/clock", `{"advanceMs":7776001000}`)
	wantErr(t, h.post("/user/account_check", admin, `{"checkUserIDs":["x"]}`), 1501, "TokenExpiredError", "")
	admin = h.adminToken()
	h.ctlOK("POST", "/_sim/secret", `{"secret":"s2"}`)
	wantErr(t, h.post("/user/account_check", admin, `{"checkUserIDs":["x"]}`), 1505, "TokenUnknownError", "")
	if h.ctl("POST", "/_sim/secret", `{"secret":""}`, nil) != http.StatusBadRequest {
		t.Fatal("an empty secret is refused")
	}
	if h.ctl("POST", "/_sim/clock", `{}`, nil) != http.StatusBadRequest {
		t.Fatal("advanceMs is required")
	}
}

func TestControlFaultsAreDeterministic(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	admin := h.adminToken()
	h.ctlOK("POST", "/_sim/faults", `{"path":"/user/account_check","code":90004,"every":2,"remaining":2}`)
	var got []int
	for range 6 {
		got = append(got, h.post("/user/account_check", admin, `{"checkUserIDs":["x"]}`).ErrCode)
	}
	if want := []int{0, 90004, 0, 90004, 0, 0}; !slices.Equal(got, want) {
		t.Fatalf("every 2nd, twice: got %v want %v", got, want)
	}
	r := h.post("/user/account_check", admin, `{"checkUserIDs":["x"]}`)
	wantOK(t, r)

	// A fault for one user leaves other users alone.
	h.ctlOK("POST", "/_sim/faults", `{"path":"/user/user_register","userID":"bad","code":500}`)
	wantOK(t, h.register(admin, "good"))
	r = h.register(admin, "ok1", "bad")
	wantErr(t, r, 500, "ServerInternalError", "injected fault")
	if h.sim.Registered("ok1") {
		t.Fatal("a faulted request does nothing")
	}
	h.ctlOK("DELETE", "/_sim/faults", "")
	wantOK(t, h.register(admin, "ok1", "bad"))

	// HTTP-only faults: an empty 500, the plain 404, 429 with its envelope.
	h.ctlOK("POST", "/_sim/faults", `{"path":"/user/get_users_info","httpStatus":500,"remaining":1}`)
	r = h.post("/user/get_users_info", admin, `{"userIDs":["x"]}`)
	if r.Status != 500 || len(r.Raw) != 0 {
		t.Fatalf("HTTP 500 with an empty body, got %d %q", r.Status, r.Raw)
	}
	h.ctlOK("POST", "/_sim/faults", `{"path":"/user/get_users_info","httpStatus":404,"remaining":1}`)
	if r = h.post("/user/get_users_info", admin, `{"userIDs":["x"]}`); r.Status != 404 || string(r.Raw) != "404 page not found" {
		t.Fatalf("404 fault: %d %q", r.Status, r.Raw)
	}
	h.ctlOK("POST", "/_sim/faults", `{"code":429,"httpStatus":429,"remaining":1}`)
	if r = h.post("/user/get_users_status", admin, `{"userIDs":["x"]}`); r.Status != 429 || r.ErrCode != 429 {
		t.Fatalf("429 fault on any path: %d %s", r.Status, r.Raw)
	}
	wantOK(t, h.post("/user/get_users_info", admin, `{"userIDs":["x"]}`))

	for _, bad := range []string{`{"path":"/nope","code":500}`, `{"path":"/user/account_check"}`, `{"httpStatus":99}`, `{"code":500,"remaining":-1}`} {
		if h.ctl("POST", "/_sim/faults", bad, nil) != http.StatusBadRequest {
			t.Fatalf("fault %s is refused", bad)
		}
	}
}

func TestControlLatency(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	h.ctlOK("POST", "/_sim/latency", `{"ms":3600000}`)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, h.url+"/auth/get_admin_token", strings.NewReader(`{}`))
	req.Header.Set("operationID", "lat")
	if _, err := h.hc.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("an hour of latency outlasts the deadline, got %v", err)
	}
	h.ctlOK("POST", "/_sim/latency", `{"ms":0}`)
	h.adminToken()
	if h.ctl("POST", "/_sim/latency", `{"ms":-1}`, nil) != http.StatusBadRequest {
		t.Fatal("negative latency is refused")
	}
}

func TestControlCountersAndReset(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	admin := h.adminToken()
	wantOK(t, h.register(admin, "a", "b"))
	wantErr(t, h.register(admin, "c", "a"), 1102, "RegisteredAlreadyError", "")
	h.sim.SetOnline("a", 1, true)

	var c openimsim.Counters
	h.ctl("GET", "/_sim/counters", "", &c)
	if c.Users != 2 || c.Online != 1 || c.MaxRegisterRequests != 2 || c.Requests["/user/user_register"] != 2 ||
		c.Requests["/auth/get_admin_token"] != 1 || c.Requests["/user/account_check"] != 0 ||
		c.RegisterRequests["a"] != 2 || c.RegisterRequests["b"] != 1 || c.RegisterRequests["c"] != 1 {
		t.Fatalf("counters %+v", c)
	}
	wantOK(t, h.register(admin, "c"))
	if n := h.sim.User("c").RegisterRequests; n != 2 {
		t.Fatalf("requests naming c before it existed carry over: %d", n)
	}
	var sum openimsim.Counters
	h.ctl("GET", "/_sim/counters?summary=1", "", &sum)
	if sum.RegisterRequests != nil || sum.FCMUpdates != nil || sum.Users != 3 || sum.MaxRegisterRequests != 2 {
		t.Fatalf("summary %+v", sum)
	}

	h.ctlOK("POST", "/_sim/secret", `{"secret":"other"}`)
	h.ctlOK("POST", "/_sim/reset", "")
	c = h.sim.Counters()
	if c.Users != 0 || c.Online != 0 || c.Requests["/user/user_register"] != 0 || len(c.RegisterRequests) != 0 ||
		!h.sim.Registered("imAdmin") || h.sim.Registered("a") {
		t.Fatalf("after reset %+v", c)
	}
	h.adminToken() // the configured secret is back
}
