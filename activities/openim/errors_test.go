package openim

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/imshift/imshift/testbed/simulator/openimsim"
)

// wantCode checks code, errDlt (if given), retryability and that the message
// does not leak the secret.
func wantCode(t *testing.T, err error, code int, dlt string, retryable bool) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != code || (dlt != "" && e.Dlt != dlt) || e.Retryable() != retryable {
		t.Fatalf("want errCode %d %q retryable=%v, got %#v", code, dlt, retryable, err)
	}
	if strings.Contains(e.Error(), openimsim.DefaultSecret) {
		t.Fatalf("the error text leaks the secret: %s", e)
	}
	return e
}

// The server's own 1001 rules, reached by bypassing the local checks.
func TestServerArgsErrors(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	ctx := context.Background()
	register := func(body string) error {
		return e.c.call(ctx, pathUserRegister, rawJSON(body), nil)
	}
	wantCode(t, register(`{"users":[{"userID":"a-b","nickname":"x"}]}`), 1001, "userID is legal", false)
	wantCode(t, register(`{"users":[{"userID":"r","nickname":"x"},{"userID":"r","nickname":"y"}]}`), 1001, "userID repeated", false)
	wantCode(t, register(`{"users":[{"userID":"n","nickname":""}]}`), 1001, "user name is empty", false)
	wantCode(t, e.c.post(ctx, pathAccountCheck, "", rawJSON(`{"checkUserIDs":["a"]}`), nil), 1001, "header must have token", false)
	wantCode(t, e.c.call(ctx, pathForceLogout, rawJSON(`{"userID":"a","platformID":11}`), nil), 1001, "platformID is invalidate", false)
	if e.sim.Users() != 0 {
		t.Fatal("nothing was registered")
	}

	// A transport that drops operationID: even get_admin_token refuses.
	strip := New(Config{BaseURL: e.url, AdminUserID: "imAdmin", Secret: "openIM123", HTTPClient: &http.Client{
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			r.Header.Del("operationID")
			return http.DefaultTransport.RoundTrip(r)
		}),
	}})
	_, err := strip.AccountCheck(ctx, []string{"a"})
	wantCode(t, err, 1001, "header must have operationID", false)
}

func TestAuthErrors(t *testing.T) {
	e := newEnv(t, openimsim.Options{AdminUserIDs: []string{"imAdmin", "ops"}})
	ctx := context.Background()
	check := func(c *Client) error { _, err := c.AccountCheck(ctx, []string{"a"}); return err }

	wantCode(t, check(e.client(Config{Secret: "not-the-secret"})), 1002, "secret invalid", false)
	wantCode(t, check(e.client(Config{AdminUserID: "stranger"})), 1001, "", false)
	e.sim.DeleteUser("ops")
	wantCode(t, check(e.client(Config{AdminUserID: "ops"})), 1004, "", false)

	// A user token where an admin token belongs: 1002, and no refresh.
	if _, err := e.c.RegisterUsers(ctx, users("u1")); err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	must(t, e.c.call(ctx, "/auth/get_user_token", map[string]any{"userID": "u1", "platformID": 2}, &tok))
	user := e.client(Config{})
	user.tok = cachedToken{value: tok.Token, refreshAt: time.Now().Add(time.Hour)}
	err := check(user)
	wantCode(t, err, 1002, "user u1 is not admin userID", false)
	if strings.Contains(err.Error(), tok.Token) {
		t.Fatal("the error text leaks the token")
	}
}

func TestAlreadyRegisteredIsAllOrNothing(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	ctx := context.Background()
	must(t, e.c.UserRegister(ctx, users("old")))
	wantCode(t, e.c.UserRegister(ctx, users("new", "old")), 1102, "userID registered already", false)
	if e.sim.Registered("new") {
		t.Fatal("1102 inserts nothing")
	}
}

func TestExpiredTokenIsRefreshed(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	ctx := context.Background()
	check := func() error { _, err := e.c.AccountCheck(ctx, []string{"a"}); return err }
	must(t, check())
	before := testutil.ToFloat64(requestsTotal.WithLabelValues(pathAccountCheck, "1501"))
	e.sim.AdvanceClock(openimsim.DefaultTokenTTL + time.Hour)
	must(t, check())
	if got := testutil.ToFloat64(requestsTotal.WithLabelValues(pathAccountCheck, "1501")); got != before+1 {
		t.Fatalf("want exactly one 1501 counted, got %v more", got-before)
	}
	if n := e.requests(pathGetAdminToken); n != 2 {
		t.Fatalf("%d admin tokens, want 2", n)
	}
}

func TestSecretRotation(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	ctx := context.Background()
	check := func(c *Client) error { _, err := c.AccountCheck(ctx, []string{"a"}); return err }
	must(t, check(e.c))
	stale := e.c.tok

	// Our config still has the old secret: 1505, a refresh, then 1002.
	must(t, e.sim.RotateSecret("rotated"))
	wantCode(t, check(e.c), 1002, "secret invalid", false)
	if n := e.requests(pathGetAdminToken); n != 2 {
		t.Fatalf("%d admin tokens, want 2", n)
	}

	// A client that knows the new secret but holds an old token recovers.
	fresh := e.client(Config{Secret: "rotated"})
	fresh.tok = stale
	must(t, check(fresh))
	if n := e.requests(pathGetAdminToken); n != 3 {
		t.Fatalf("%d admin tokens, want 3", n)
	}
}

func TestKickedOrMissingTokenIsRefreshedOnce(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	ctx := context.Background()
	for i, code := range []int{1506, 1507} {
		must(t, e.sim.SetFault(openimsim.Fault{Path: pathGetUsersInfo, Code: code, Remaining: 1}))
		if _, err := e.c.GetUsersInfo(ctx, []string{"a"}); err != nil {
			t.Fatalf("%d: %v", code, err)
		}
		if n := e.requests(pathGetAdminToken); n != int64(i+2) { // the first token, then one per rejection
			t.Fatalf("after %d: %d admin tokens", code, n)
		}
	}
	// Rejected again after the refresh: give up, retryable later.
	must(t, e.sim.SetFault(openimsim.Fault{Path: pathGetUsersInfo, Code: 1506, Remaining: 2}))
	_, err := e.c.GetUsersInfo(ctx, []string{"a"})
	wantCode(t, err, 1506, "", true)
	if n := e.requests(pathGetUsersInfo); n != 6 {
		t.Fatalf("%d get_users_info requests, want 6 (three calls, one retry each)", n)
	}
}

func TestServerFailures(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	ctx := context.Background()
	check := func() error { _, err := e.c.AccountCheck(ctx, []string{"a"}); return err }
	for _, c := range []struct {
		fault     openimsim.Fault
		code      int
		status    int
		retryable bool
	}{
		{openimsim.Fault{Code: 500}, 500, 200, true},
		{openimsim.Fault{Code: 90004}, 90004, 200, true},
		{openimsim.Fault{HTTPStatus: 500}, 0, 500, true},
		{openimsim.Fault{Code: 429, HTTPStatus: 429}, 429, 429, true},
		{openimsim.Fault{HTTPStatus: 502}, 0, 502, true},
		{openimsim.Fault{HTTPStatus: 404}, 0, 404, false},
	} {
		c.fault.Path, c.fault.Remaining = pathAccountCheck, 1
		must(t, e.sim.SetFault(c.fault))
		err := wantCode(t, check(), c.code, "", c.retryable)
		if err.HTTPStatus != c.status || err.Path != pathAccountCheck {
			t.Fatalf("%+v: got %#v", c.fault, err)
		}
	}
	must(t, check())

	// An unbindable body on get_users_online_status: HTTP 400, errCode 500.
	err := wantCode(t, e.c.call(ctx, pathGetUsersOnlineStatus, rawJSON(`{"userIDs":"a"}`), nil), 500, "", false)
	if err.HTTPStatus != http.StatusBadRequest {
		t.Fatalf("%#v", err)
	}

	// A base URL with a path prefix OpenIM does not have: plain 404.
	wrong := e.client(Config{BaseURL: e.url + "/api"})
	err = wantCode(t, probe(wrong), 0, "", false)
	if err.HTTPStatus != http.StatusNotFound || !strings.Contains(err.Error(), "Not Found") {
		t.Fatalf("%#v", err)
	}
}

// probe is one cheap admin call.
func probe(c *Client) error {
	_, err := c.AccountCheck(context.Background(), []string{"a"})
	return err
}

func TestTransportAndContextErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	c := New(Config{BaseURL: base, AdminUserID: "imAdmin", Secret: "openIM123"})
	err := probe(c)
	var ue *url.Error
	e := wantCode(t, err, 0, "", true)
	if e.HTTPStatus != 0 || !errors.As(err, &ue) {
		t.Fatalf("a refused connection is a retryable transport error wrapping *url.Error: %#v", err)
	}

	env := newEnv(t, openimsim.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = env.c.AccountCheck(ctx, []string{"a"})
	if !errors.Is(err, context.Canceled) || IsRetryable(err) {
		t.Fatalf("a canceled call reports the context's error: %v", err)
	}
}

// TestErrorTextsAreRedacted uses a server that echoes the secret and the
// token back in errDlt, which OpenIM does not do but a proxy might.
func TestErrorTextsAreRedacted(t *testing.T) {
	const secret, token = "S3cr3t-value", "eyJhbGciOiJIUzI1NiJ9.e30.sig"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == pathGetAdminToken {
			_, _ = w.Write([]byte(`{"errCode":0,"errMsg":"","errDlt":"","data":{"token":"` + token + `","expireTimeSeconds":3600}}`))
			return
		}
		_, _ = w.Write([]byte(`{"errCode":1001,"errMsg":"ArgsError","errDlt":"saw secret ` + secret + ` and token ` + r.Header.Get("token") + `"}`))
	}))
	defer srv.Close()
	err := probe(New(Config{BaseURL: srv.URL, AdminUserID: "imAdmin", Secret: secret}))
	if !IsCode(err, 1001) || strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), token) ||
		!strings.Contains(err.Error(), "[secret]") || !strings.Contains(err.Error(), "[token]") {
		t.Fatalf("err %v", err)
	}
}

// TestGzipResponses asks for gzip itself through a transport that does not
// decompress, so the client has to.
func TestGzipResponses(t *testing.T) {
	e := newEnv(t, openimsim.Options{})
	var gzipped int
	base := &http.Transport{DisableCompression: true}
	c := e.client(Config{HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r.Header.Set("Accept-Encoding", "gzip")
		resp, err := base.RoundTrip(r)
		if err == nil && resp.Header.Get("Content-Encoding") == "gzip" {
			gzipped++
		}
		return resp, err
	})}})
	if _, err := c.RegisterUsers(context.Background(), users("g1", "g2")); err != nil {
		t.Fatal(err)
	}
	infos, err := c.GetUsersInfo(context.Background(), []string{"g1", "g2"})
	if err != nil || len(infos) != 2 {
		t.Fatalf("%+v %v", infos, err)
	}
	if gzipped != 4 { // get_admin_token, account_check, user_register, get_users_info
		t.Fatalf("%d gzipped responses, want 4", gzipped)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// rawJSON is sent verbatim by json.Marshal.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }
