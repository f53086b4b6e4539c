package fcmsim_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/imshift/imshift/testbed/simulator/fcmsim"
)

// post sends body to path with an optional bearer token and returns the
// status and decoded JSON body.
func (e *env) post(t *testing.T, path, bearer, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := e.base.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s: body %q is not JSON", path, raw)
		}
	}
	return resp.StatusCode, out
}

func mustJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

const sendPath = "/v1/projects/" + project + "/messages:send"

// TestErrorBodiesExact compares whole error bodies with Google's.
func TestErrorBodiesExact(t *testing.T) {
	e := startSim(t, true)
	tok := e.accessToken(t)
	cases := []struct {
		name, bearer, body string
		code               int
		want               string
	}{
		{"unregistered", tok, `{"message":{"token":"dead-1"}}`, 404,
			`{"error":{"code":404,"message":"Requested entity was not found.","status":"NOT_FOUND","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"UNREGISTERED"}]}}`},
		{"bad token", tok, `{"message":{"token":"not a token!"}}`, 400,
			`{"error":{"code":400,"message":"The registration token is not a valid FCM registration token","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"INVALID_ARGUMENT"},{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"message.token","description":"The registration token is not a valid FCM registration token"}]}]}}`},
		{"too big", tok, `{"message":{"token":"t1","data":{"k":"` + strings.Repeat("x", 4096) + `"}}}`, 400,
			`{"error":{"code":400,"message":"Message is too big","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.firebase.fcm.v1.FcmError","errorCode":"INVALID_ARGUMENT"},{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"message","description":"Message is too big"}]}]}}`},
		{"no bearer", "", `{"message":{"token":"t1"}}`, 401,
			`{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.","status":"UNAUTHENTICATED"}}`},
	}
	for _, c := range cases {
		code, got := e.post(t, sendPath, c.bearer, c.body)
		if code != c.code || !reflect.DeepEqual(got, mustJSON(t, c.want)) {
			t.Errorf("%s: %d %v\nwant %d %s", c.name, code, got, c.code, c.want)
		}
	}
}

// TestValidation checks each FCM message rule and which field it blames.
func TestValidation(t *testing.T) {
	e := startSim(t, false)
	tok := e.accessToken(t)
	big := strings.Repeat("x", 2000)
	cases := []struct {
		name, body string
		code       int
		field      string // "" = success
	}{
		{"ok token", `{"message":{"token":"abc:DEF_1-2.3","data":{"a":"b"}}}`, 200, ""},
		{"ok topic", `{"message":{"topic":"news"}}`, 200, ""},
		{"no target", `{"message":{"data":{"a":"b"}}}`, 400, "message"},
		{"two targets", `{"message":{"token":"t","topic":"news"}}`, 400, "message"},
		{"bad token", `{"message":{"token":"a/b"}}`, 400, "message.token"},
		{"long token", `{"message":{"token":"` + strings.Repeat("a", 4097) + `"}}`, 400, "message.token"},
		{"reserved key", `{"message":{"token":"t","data":{"from":"x"}}}`, 400, "message.data"},
		{"google key", `{"message":{"token":"t","data":{"google.x":"x"}}}`, 400, "message.data"},
		{"data at limit", `{"message":{"token":"t","data":{"k":"` + strings.Repeat("x", 4095) + `"}}}`, 200, ""},
		{"data+notification over", `{"message":{"token":"t","data":{"k":"` + big + `"},"notification":{"title":"` + big + `","body":"` + big + `"}}}`, 400, "message"},
		{"not json", `{`, 400, "message"},
	}
	for _, c := range cases {
		code, got := e.post(t, sendPath, tok, c.body)
		if code != c.code {
			t.Errorf("%s: status %d, want %d (%v)", c.name, code, c.code, got)
			continue
		}
		if c.field == "" {
			if name, _ := got["name"].(string); !strings.HasPrefix(name, "projects/"+project+"/messages/") {
				t.Errorf("%s: name %q", c.name, name)
			}
			continue
		}
		if f := violatedField(got); f != c.field {
			t.Errorf("%s: field %q, want %q", c.name, f, c.field)
		}
	}
	if got := e.sim.Counters().Errors[fcmsim.InvalidArgument]; got != 8 {
		t.Errorf("INVALID_ARGUMENT count %d, want 8", got)
	}
}

func violatedField(body map[string]any) string {
	details, _ := body["error"].(map[string]any)["details"].([]any)
	for _, d := range details {
		if v, ok := d.(map[string]any)["fieldViolations"].([]any); ok && len(v) > 0 {
			return v[0].(map[string]any)["field"].(string)
		}
	}
	return ""
}

// TestProjects: another account's project is 403, an account of a project
// this simulator does not host is 404, the short SDK path works too.
func TestProjects(t *testing.T) {
	e := startSim(t, false)
	tok := e.accessToken(t)
	if code, _ := e.post(t, "/v1/projects/other/messages:send", tok, `{"message":{"token":"t"}}`); code != 403 {
		t.Errorf("other project: %d, want 403", code)
	}
	if code, _ := e.post(t, "/projects/"+project+"/messages:send", tok, `{"message":{"token":"t"}}`); code != 200 {
		t.Errorf("short path: %d, want 200", code)
	}
	otherKey, err := fcmsim.ServiceAccountJSON(e.srv.URL+"/token", "other")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.RegisterServiceAccount(otherKey); err != nil {
		t.Fatal(err)
	}
	e.keyFile = otherKey
	code, body := e.post(t, "/v1/projects/other/messages:send", e.accessToken(t), `{"message":{"token":"t"}}`)
	if code != 404 || body["error"].(map[string]any)["status"] != "NOT_FOUND" {
		t.Errorf("unhosted project: %d %v, want 404", code, body)
	}
	if code, _ := e.post(t, sendPath, "made-up", `{"message":{"token":"t"}}`); code != 401 {
		t.Errorf("unknown bearer: %d, want 401", code)
	}
}

// TestFaultsDeterministic: the rate fault hits exactly every Nth request,
// a limited token fault fires exactly Remaining times.
func TestFaultsDeterministic(t *testing.T) {
	e := startSim(t, false)
	tok := e.accessToken(t)
	if err := e.sim.SetRateFault(fcmsim.Fault{Status: fcmsim.QuotaExceeded, RetryAfter: 5 * time.Second}, 3); err != nil {
		t.Fatal(err)
	}
	var failed []int
	for i := 1; i <= 9; i++ {
		if code, _ := e.post(t, sendPath, tok, `{"message":{"token":"r"}}`); code == 429 {
			failed = append(failed, i)
		} else if code != 200 {
			t.Fatalf("request %d: %d", i, code)
		}
	}
	if !reflect.DeepEqual(failed, []int{3, 6, 9}) {
		t.Fatalf("rate fault hit %v, want [3 6 9]", failed)
	}
	if e.sim.Delivered("r") != 6 {
		t.Fatalf("delivered %d, want 6", e.sim.Delivered("r"))
	}
	if err := e.sim.SetRateFault(fcmsim.Fault{}, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetTokenFault("x", fcmsim.Fault{Status: fcmsim.Internal, Remaining: 2}); err != nil {
		t.Fatal(err)
	}
	var codes []int
	for i := 0; i < 4; i++ {
		code, _ := e.post(t, sendPath, tok, `{"message":{"token":"x"}}`)
		codes = append(codes, code)
	}
	if !reflect.DeepEqual(codes, []int{500, 500, 200, 200}) {
		t.Fatalf("token fault codes %v", codes)
	}
	c := e.sim.Counters()
	want := map[string]int64{fcmsim.QuotaExceeded: 3, fcmsim.Internal: 2}
	if c.Sent != 8 || c.Requests != 13 || !reflect.DeepEqual(c.Errors, want) || c.Tokens != 2 {
		t.Fatalf("counters %+v", c)
	}
	if err := e.sim.SetTokenFault("x", fcmsim.Fault{Status: "NOPE"}); err == nil {
		t.Fatal("unknown status accepted")
	}
}

// TestControlHTTP drives faults, counters and reset through /_sim/.
func TestControlHTTP(t *testing.T) {
	e := startSim(t, false)
	tok := e.accessToken(t)
	ctl := func(path, body string) int {
		code, _ := e.post(t, path, "", body)
		return code
	}
	if code := ctl("/_sim/token-fault", `{"token":"c1","fault":{"status":"QUOTA_EXCEEDED","remaining":1,"retry_after":"9s"}}`); code != 204 {
		t.Fatalf("token-fault: %d", code)
	}
	if code := ctl("/_sim/token-fault", `{"token":"c1","fault":{"status":"BOGUS"}}`); code != 400 {
		t.Fatalf("bogus status: %d", code)
	}
	if code := ctl("/_sim/latency", `{"latency":"soon"}`); code != 400 {
		t.Fatalf("bad latency: %d", code)
	}
	if code := ctl("/_sim/latency", `{"latency":"1ms"}`); code != 204 {
		t.Fatalf("latency: %d", code)
	}
	for _, want := range []int{429, 200} {
		if code, _ := e.post(t, sendPath, tok, `{"message":{"token":"c1"}}`); code != want {
			t.Fatalf("send: %d, want %d", code, want)
		}
	}
	got := e.getJSON(t, "/_sim/counters?token=c1")
	if got["delivered"] != 1.0 || got["sent"] != 1.0 || got["errors"].(map[string]any)[fcmsim.QuotaExceeded] != 1.0 {
		t.Fatalf("counters %v", got)
	}
	if _, ok := e.getJSON(t, "/_sim/counters")["delivered"]; ok {
		t.Fatal("per-token count without ?token=")
	}
	if got := e.getJSON(t, "/_sim/deliveries-per-second"); got["counts"].([]any)[0] != 1.0 || got["start"].(float64) == 0 {
		t.Fatalf("deliveries per second %v, want the one delivery (the 429 is not one)", got)
	}
	if code := ctl("/_sim/reset", ``); code != 204 {
		t.Fatalf("reset: %d", code)
	}
	if got := e.getJSON(t, "/_sim/counters?token=c1"); got["delivered"] != 0.0 || got["sent"] != 0.0 {
		t.Fatalf("after reset %v", got)
	}
	other, err := fcmsim.ServiceAccountJSON(e.srv.URL+"/token", project)
	if err != nil {
		t.Fatal(err)
	}
	if code := ctl("/_sim/service-accounts", string(other)); code != 204 {
		t.Fatalf("register: %d", code)
	}
	e.keyFile = other
	if code, _ := e.post(t, sendPath, e.accessToken(t), `{"message":{"token":"c2"}}`); code != 200 {
		t.Fatalf("send with HTTP-registered account: %d", code)
	}
}

func (e *env) getJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	resp, err := e.base.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return mustJSON(t, buf.String())
}

// Rate rules with one period and different phases mix faults: here a
// QUOTA_EXCEEDED and an UNAVAILABLE on every fifth request each, the fault
// benchmark's mix, set through the control API.
func TestRateRulesMixFaultsByPhase(t *testing.T) {
	e := startSim(t, false)
	tok := e.accessToken(t)
	body := `{"rules":[{"every_nth":5,"phase":1,"fault":{"status":"QUOTA_EXCEEDED","retry_after":"1s"}},
		{"every_nth":5,"phase":2,"fault":{"status":"UNAVAILABLE"}}]}`
	if code, _ := e.post(t, "/_sim/rate-faults", "", body); code != http.StatusNoContent {
		t.Fatalf("rate-faults: %d", code)
	}
	var codes []int
	for range 10 {
		code, _ := e.post(t, sendPath, tok, `{"message":{"token":"m"}}`)
		codes = append(codes, code)
	}
	if want := []int{429, 503, 200, 200, 200, 429, 503, 200, 200, 200}; !reflect.DeepEqual(codes, want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
}
