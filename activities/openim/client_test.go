package openim

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/imshift/imshift/testbed/simulator/openimsim"
)

// env is the simulator behind a real HTTP server, plus a client for it.
type env struct {
	t   *testing.T
	sim *openimsim.Server
	url string
	c   *Client
}

func newEnv(t *testing.T, opts openimsim.Options) *env {
	return newEnvWrapped(t, opts, nil)
}

// newEnvWrapped lets a test stand between client and simulator.
func newEnvWrapped(t *testing.T, opts openimsim.Options, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	sim := openimsim.New(opts)
	var h http.Handler = sim
	if wrap != nil {
		h = wrap(sim)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	e := &env{t: t, sim: sim, url: srv.URL}
	e.c = e.client(Config{})
	return e
}

// client fills the simulator's defaults into the unset fields of cfg.
func (e *env) client(cfg Config) *Client {
	if cfg.BaseURL == "" {
		cfg.BaseURL = e.url
	}
	if cfg.AdminUserID == "" {
		cfg.AdminUserID = openimsim.DefaultAdminUserID
	}
	if cfg.Secret == "" {
		cfg.Secret = openimsim.DefaultSecret
	}
	return New(cfg)
}

func (e *env) requests(path string) int64 { return e.sim.Counters().Requests[path] }

func (e *env) totalRequests() int64 {
	var n int64
	for _, v := range e.sim.Counters().Requests {
		n += v
	}
	return n
}

func users(ids ...string) []UserInfo {
	out := make([]UserInfo, len(ids))
	for i, id := range ids {
		out[i] = UserInfo{UserID: id, Nickname: "nick " + id, Ex: `{"legacy":"` + id + `"}`}
	}
	return out
}

func seq(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s%04d", prefix, i)
	}
	return ids
}

func TestRegisterUsersProvisionsOnce(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	ctx := context.Background()
	ids := seq("u", 10)
	rep, err := e.c.RegisterUsers(ctx, users(ids...))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Registered, ids) || rep.AlreadyExisted != nil {
		t.Fatalf("report %+v", rep)
	}
	c := e.sim.Counters()
	if c.Users != 10 || c.MaxRegisterRequests != 1 || c.Requests["/user/user_register"] != 1 ||
		c.Requests["/user/account_check"] != 1 || c.Requests["/auth/get_admin_token"] != 1 {
		t.Fatalf("counters %+v", c)
	}

	rep, err = e.c.RegisterUsers(ctx, users(ids...))
	if err != nil || rep.Registered != nil || !slices.Equal(rep.AlreadyExisted, ids) {
		t.Fatalf("second run: %+v %v", rep, err)
	}
	if e.requests("/user/user_register") != 1 {
		t.Fatal("a second run only checks")
	}

	infos, err := e.c.GetUsersInfo(ctx, []string{ids[3], "ghost"})
	if err != nil || len(infos) != 1 {
		t.Fatalf("GetUsersInfo: %+v %v", infos, err)
	}
	if u := infos[0]; u.UserID != ids[3] || u.Nickname != "nick "+ids[3] || u.Ex != `{"legacy":"u0003"}` || u.CreateTime == 0 {
		t.Fatalf("user %+v", u)
	}
	got, err := e.c.AccountCheck(ctx, []string{ids[0], "ghost", ids[0]})
	if err != nil || len(got) != 2 || !got[ids[0]] || got["ghost"] {
		t.Fatalf("AccountCheck: %v %v", got, err)
	}
}

func TestRegisterUsersBatchesOf500(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	ids := seq("b", 1201)
	rep, err := e.c.RegisterUsers(context.Background(), users(ids...))
	if err != nil || len(rep.Registered) != 1201 {
		t.Fatalf("%d registered, %v", len(rep.Registered), err)
	}
	c := e.sim.Counters()
	if c.Requests["/user/user_register"] != 3 || c.Requests["/user/account_check"] != 3 || c.Users != 1201 || c.MaxRegisterRequests != 1 {
		t.Fatalf("counters %+v", c.Requests)
	}
}

// TestRegisterUsersRaceFallsBack lets another writer register half of the
// batch between our account_check and our user_register.
func TestRegisterUsersRaceFallsBack(t *testing.T) {
	ids := seq("r", 8)
	var once sync.Once
	var rival *Client
	e := newEnvWrapped(t, openimsim.Options{}, func(sim http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			sim.ServeHTTP(w, r)
			if r.URL.Path == pathAccountCheck {
				once.Do(func() {
					if err := rival.UserRegister(r.Context(), users(ids[:4]...)); err != nil {
						t.Errorf("rival: %v", err)
					}
				})
			}
		})
	})
	rival = e.client(Config{})
	rep, err := e.c.RegisterUsers(context.Background(), users(ids...))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.AlreadyExisted, ids[:4]) || !slices.Equal(rep.Registered, ids[4:]) {
		t.Fatalf("report %+v", rep)
	}
	c := e.sim.Counters()
	// rival's batch, our refused batch, then one request per missing user.
	if c.Users != 8 || c.Requests["/user/user_register"] != 1+1+4 || c.Requests["/user/account_check"] != 2 {
		t.Fatalf("counters users=%d %v", c.Users, c.Requests)
	}
	for _, id := range ids {
		if c.RegisterRequests[id] != 2 {
			t.Fatalf("%s named %d times, want 2", id, c.RegisterRequests[id])
		}
	}
}

func TestRegisterUsersPerUser1102CountsAsThere(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	ids := seq("p", 5)
	// u3 answers 1102 twice: in the batch, and when registered alone.
	must(t, e.sim.SetFault(openimsim.Fault{Path: pathUserRegister, UserID: ids[3], Code: 1102, Remaining: 2}))
	rep, err := e.c.RegisterUsers(context.Background(), users(ids...))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.AlreadyExisted, ids[3:4]) || !slices.Equal(rep.Registered, append(slices.Clone(ids[:3]), ids[4])) {
		t.Fatalf("report %+v", rep)
	}
}

func TestRegisterUsersStopsOnOtherErrors(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	ids := seq("s", 3)
	must(t, e.sim.SetFault(openimsim.Fault{Path: pathUserRegister, Code: 500, Remaining: 1}))
	rep, err := e.c.RegisterUsers(context.Background(), users(ids...))
	if !IsCode(err, 500) || !IsRetryable(err) || rep.Registered != nil || e.sim.Users() != 0 {
		t.Fatalf("rep %+v err %v", rep, err)
	}
	rep, err = e.c.RegisterUsers(context.Background(), users(ids...))
	if err != nil || !slices.Equal(rep.Registered, ids) {
		t.Fatalf("the retry registers them: %+v %v", rep, err)
	}
}

func TestIllegalArgumentsRefusedBeforeAnyRequest(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	ctx := context.Background()
	for _, c := range []struct {
		name, where string
		call        func() error
	}{
		{"hyphen", "users[1]", func() error { _, err := e.c.RegisterUsers(ctx, users("ok", "a-b")); return err }},
		{"colon", "users[0]", func() error { return e.c.UserRegister(ctx, users("a:b")) }},
		{"empty id", "users[0]", func() error { return e.c.UserRegister(ctx, users("")) }},
		{"repeated", "users[2]", func() error { return e.c.UserRegister(ctx, users("x", "y", "x")) }},
		{"no nickname", "users[0]", func() error { return e.c.UserRegister(ctx, []UserInfo{{UserID: "x"}}) }},
		{"no users", "users is empty", func() error { return e.c.UserRegister(ctx, nil) }},
		{"account_check", "userIDs[2]", func() error { _, err := e.c.AccountCheck(ctx, []string{"a", "b", "c d"}); return err }},
		{"get_users_info", "ids[0]", func() error { _, err := e.c.GetUsersInfo(ctx, []string{"é-1"}); return err }},
		{"online status", "ids[1]", func() error { _, err := e.c.GetUsersOnlineStatus(ctx, []string{"a", "b.c"}); return err }},
		{"status", "ids[0]", func() error { _, err := e.c.GetUsersStatus(ctx, []string{""}); return err }},
		{"fcm account", "account", func() error { return e.c.FCMUpdateToken(ctx, "a-b", 2, "tok", 0) }},
		{"fcm platform", "platformID 11", func() error { return e.c.FCMUpdateToken(ctx, "a", 11, "tok", 0) }},
		{"fcm token", "fcmToken", func() error { return e.c.FCMUpdateToken(ctx, "a", 2, "", 0) }},
		{"fcm ttl", "expireTime", func() error { return e.c.FCMUpdateToken(ctx, "a", 2, "tok", -1) }},
		{"logout id", "userID[0]", func() error { return e.c.ForceLogout(ctx, "a/b", 2) }},
		{"logout platform", "platformID 0", func() error { return e.c.ForceLogout(ctx, "a", 0) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if !errors.Is(err, ErrInvalidArgument) || IsRetryable(err) || !strings.Contains(err.Error(), c.where) {
				t.Fatalf("want an invalid-argument error naming %q, got %v", c.where, err)
			}
		})
	}
	if n := e.totalRequests(); n != 0 {
		t.Fatalf("the simulator saw %d requests", n)
	}
}

func TestLegalUserIDs(t *testing.T) {
	for id, want := range map[string]bool{
		"u1001": true, "Ünïcode_名前_٣": true, "_": true, "": false, "a-b": false,
		"a:b": false, "a b": false, "a.b": false, "a\x00": false, "\xff": false,
	} {
		if IsLegalUserID(id) != want {
			t.Errorf("IsLegalUserID(%q) != %v", id, want)
		}
	}
}

func TestTokenIsCachedAndRefreshedBeforeExp(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.c.AccountCheck(ctx, []string{"x"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := e.requests(pathGetAdminToken); n != 1 {
		t.Fatalf("%d admin tokens for 20 concurrent calls", n)
	}
	// 30 minutes before exp is inside the refresh margin (an hour for 90 days).
	e.c.now = func() time.Time { return time.Now().Add(openimsim.DefaultTokenTTL - 30*time.Minute) }
	before := rejections(pathAccountCheck)
	if _, err := e.c.AccountCheck(ctx, []string{"x"}); err != nil {
		t.Fatal(err)
	}
	if n := e.requests(pathGetAdminToken); n != 2 || rejections(pathAccountCheck) != before {
		t.Fatalf("want a proactive refresh without a rejection: %d tokens", n)
	}
}

// rejections is how many token rejections the client has counted on path.
func rejections(path string) float64 {
	var n float64
	for _, code := range []string{"1501", "1505", "1506", "1507"} {
		n += testutil.ToFloat64(requestsTotal.WithLabelValues(path, code))
	}
	return n
}

func TestPresenceAndLogout(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	ctx := context.Background()
	e.sim.SetOnline("u1", PlatformAndroid, true)
	e.sim.SetOnline("u1", PlatformWeb, true)

	online, err := e.c.GetUsersOnlineStatus(ctx, []string{"u1", "u2"})
	if err != nil || len(online) != 2 {
		t.Fatalf("%+v %v", online, err)
	}
	u1, u2 := online[0], online[1]
	if u1.UserID != "u1" || u1.Status != StatusOnline || len(u1.DetailPlatformStatus) != 2 ||
		u1.DetailPlatformStatus[0].PlatformID != PlatformAndroid || u1.DetailPlatformStatus[0].Token == "" ||
		u1.DetailPlatformStatus[0].ConnID == "" {
		t.Fatalf("u1 %+v", u1)
	}
	if u2.UserID != "u2" || u2.Status != StatusOffline || u2.DetailPlatformStatus != nil {
		t.Fatalf("u2 %+v", u2)
	}

	if err := e.c.ForceLogout(ctx, "u1", PlatformWeb); err != nil {
		t.Fatal(err)
	}
	status, err := e.c.GetUsersStatus(ctx, []string{"u1", "u2"})
	if err != nil || len(status) != 2 {
		t.Fatalf("%+v %v", status, err)
	}
	if s := status[0]; s.Status != StatusOnline || !slices.Equal(s.PlatformIDs, []int32{PlatformAndroid}) {
		t.Fatalf("u1 %+v", s)
	}
	if s := status[1]; s.Status != StatusOffline || s.PlatformIDs == nil || len(s.PlatformIDs) != 0 {
		t.Fatalf("u2 %+v", s)
	}
	if got, err := e.c.GetUsersStatus(ctx, nil); got != nil || err != nil || e.requests(pathGetUsersStatus) != 1 {
		t.Fatal("an empty list makes no request")
	}
}

func TestFCMUpdateToken(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	ctx := context.Background()
	if err := e.c.FCMUpdateToken(ctx, "u1", PlatformAndroid, "fcm-token-1", 3600); err != nil {
		t.Fatal(err)
	}
	if err := e.c.FCMUpdateToken(ctx, "u1", PlatformAndroid, "fcm-token-2", 0); err != nil {
		t.Fatal(err)
	}
	if tok, ok := e.sim.FCMToken("u1", PlatformAndroid); !ok || tok != "fcm-token-2" {
		t.Fatalf("stored %q %v", tok, ok)
	}
	if c := e.sim.Counters(); c.FCMUpdates["u1:2"] != 2 || c.FCMTokens != 1 {
		t.Fatalf("counters %+v", c)
	}
	must(t, e.sim.SetFault(openimsim.Fault{Path: pathFCMUpdateToken, UserID: "u1", Code: 90004}))
	err := e.c.FCMUpdateToken(ctx, "u1", PlatformIOS, "secret-device-token", 0)
	if !IsCode(err, 90004) || !IsRetryable(err) || strings.Contains(err.Error(), "secret-device-token") {
		t.Fatalf("err %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrorsAreRefusedLocally(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	for _, cfg := range []Config{
		{BaseURL: "openim:10002", AdminUserID: "imAdmin", Secret: "s"},
		{BaseURL: "ftp://openim", AdminUserID: "imAdmin", Secret: "s"},
		{BaseURL: e.url, Secret: "s"},
		{BaseURL: e.url, AdminUserID: "imAdmin"},
	} {
		_, err := New(cfg).AccountCheck(context.Background(), []string{"a"})
		if !errors.Is(err, ErrInvalidArgument) || IsRetryable(err) {
			t.Fatalf("%+v: %v", cfg, err)
		}
	}
	if n := e.totalRequests(); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

func TestRefreshAt(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sim := openimsim.New(openimsim.Options{TokenTTL: 10 * time.Hour})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c := New(Config{BaseURL: srv.URL, AdminUserID: "imAdmin", Secret: "openIM123"})
	tok, err := c.adminToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var cl jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &cl); err != nil {
		t.Fatal(err)
	}
	issued := cl.IssuedAt.Time
	// A 10-hour JWT is replaced an hour before its exp, whatever the TTL says.
	if got := refreshAt(tok, 1, issued); !got.Equal(issued.Add(9 * time.Hour)) {
		t.Fatalf("from the JWT: %v, want %v", got, issued.Add(9*time.Hour))
	}
	if got := refreshAt("opaque", 1000, now); !got.Equal(now.Add(900 * time.Second)) {
		t.Fatalf("from the TTL: %v", got)
	}
	if got := refreshAt("opaque", 0, now); got.Before(now.AddDate(50, 0, 0)) {
		t.Fatalf("no expiry known: %v", got)
	}
	if got := refreshAt("opaque", 10, now); !got.Equal(now.Add(minTokenUse)) {
		t.Fatalf("a token is kept for at least a minute: %v", got)
	}
}

func TestDataAbsentOrNull(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	out := []OnlineStatus{{UserID: "keep"}}
	// The server answers "data": null for an empty list.
	if err := e.c.call(context.Background(), pathGetUsersOnlineStatus, rawJSON(`{"userIDs":[]}`), &out); err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].UserID != "keep" {
		t.Fatalf("null data leaves out alone: %+v", out)
	}
	// And leaves "data" out when the reply has no fields.
	if err := e.c.ForceLogout(context.Background(), "nobody", PlatformIOS); err != nil {
		t.Fatal(err)
	}
}
