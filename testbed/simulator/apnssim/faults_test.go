package apnssim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imshift/imshift/testbed/simulator/persecond"
)

func TestTokenFaultCountsDown(t *testing.T) {
	r := newRig(t)
	c := r.goodClient()
	dead, flaky := deviceToken(1), deviceToken(2)
	if err := r.sim.SetTokenFault(dead, Fault{Status: 410, Reason: "Unregistered"}); err != nil {
		t.Fatal(err)
	}
	if err := r.sim.SetTokenFault(flaky, Fault{Status: 503, Reason: "ServiceUnavailable", Remaining: 2}); err != nil {
		t.Fatal(err)
	}
	before := time.Now().Add(-time.Second)
	for range 3 {
		res := push(t, c, note(dead))
		if res.StatusCode != 410 || res.Reason != "Unregistered" || res.Timestamp.Before(before) {
			t.Fatalf("dead token: %d %q at %v", res.StatusCode, res.Reason, res.Timestamp)
		}
	}
	var got []int
	for range 3 {
		got = append(got, push(t, c, note(flaky)).StatusCode)
	}
	if got[0] != 503 || got[1] != 503 || got[2] != 200 {
		t.Fatalf("flaky token answered %v, want [503 503 200]", got)
	}
	if r.sim.Delivered(dead) != 0 || r.sim.Attempts(dead) != 3 || r.sim.Delivered(flaky) != 1 {
		t.Fatalf("counts dead %d/%d flaky %d", r.sim.Delivered(dead), r.sim.Attempts(dead), r.sim.Delivered(flaky))
	}
	cs := r.sim.Counters()
	if cs.ByStatus[410] != 3 || cs.ByReason["ServiceUnavailable"] != 2 || cs.Delivered != 1 {
		t.Fatalf("counters %+v", cs)
	}
	if err := r.sim.SetTokenFault("nope", Fault{Status: 410}); err == nil {
		t.Fatal("fault on a malformed token accepted")
	}
}

func TestClearingATokenFault(t *testing.T) {
	r := newRig(t)
	tok := deviceToken(1)
	_ = r.sim.SetTokenFault(tok, Fault{Status: 500, Reason: "InternalServerError"})
	_ = r.sim.SetTokenFault(tok, Fault{})
	if res := push(t, r.goodClient(), note(tok)); res.StatusCode != 200 {
		t.Fatalf("cleared fault still fires: %d", res.StatusCode)
	}
}

func TestRateFaultIsEveryNth(t *testing.T) {
	r := newRig(t)
	c := r.goodClient()
	r.sim.SetRateFault(Fault{Status: 429, Reason: "TooManyRequests", Remaining: 2}, 3)
	var got []int
	for i := range 9 {
		got = append(got, push(t, c, note(deviceToken(i))).StatusCode)
	}
	want := []int{200, 200, 429, 200, 200, 429, 200, 200, 200}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("answers %v, want %v", got, want)
		}
	}
	r.sim.SetRateFault(Fault{}, 0)
	if res := push(t, c, note(deviceToken(2))); res.StatusCode != 200 {
		t.Fatalf("cleared rate fault fired: %d", res.StatusCode)
	}
}

func TestRetryAfterHeader(t *testing.T) {
	r := newRig(t)
	tok := deviceToken(1)
	_ = r.sim.SetTokenFault(tok, Fault{Status: 429, Reason: "TooManyRequests", RetryAfter: 1500 * time.Millisecond})
	req, _ := http.NewRequest(http.MethodPost, r.ts.URL+"/3/device/"+tok, strings.NewReader(`{"aps":{}}`))
	req.Header.Set("authorization", "bearer "+r.bearer())
	req.Header.Set("apns-topic", testTopic)
	resp, err := r.h2().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if reason := decodeReason(t, resp); resp.StatusCode != 429 || reason != "TooManyRequests" || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("got %d %q Retry-After %q, want 429 TooManyRequests 2", resp.StatusCode, reason, resp.Header.Get("Retry-After"))
	}
}

func TestControlSurface(t *testing.T) {
	r := newRig(t)
	hc := r.h2()
	tok := deviceToken(5)
	post := func(route, body string, want int) {
		t.Helper()
		resp, err := hc.Post(r.ts.URL+"/_sim/"+route, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("POST %s %s: %d, want %d", route, body, resp.StatusCode, want)
		}
	}
	post("faults/token", `{"token":"`+tok+`","status":410,"reason":"Unregistered","remaining":1}`, 204)
	post("faults/token", `{"token":"short","status":410}`, 400)
	post("faults/rate", `{"every_nth":2,"status":"x"}`, 400)
	post("latency", `{"latency":"1ms"}`, 204)
	post("latency", `{"latency":"soon"}`, 400)
	post("nowhere", `{}`, 404)

	c := r.goodClient()
	first, second := push(t, c, note(tok)), push(t, c, note(tok))
	if first.StatusCode != 410 || second.StatusCode != 200 {
		t.Fatalf("answers %d then %d, want 410 then 200", first.StatusCode, second.StatusCode)
	}

	var tc tokenCounts
	getJSON(t, hc, r.ts.URL+"/_sim/counters?token="+tok, &tc)
	if tc != (tokenCounts{Delivered: 1, Attempts: 2}) {
		t.Fatalf("token counters %+v", tc)
	}
	var cs Counters
	getJSON(t, hc, r.ts.URL+"/_sim/counters", &cs)
	if cs.Requests != 2 || cs.Delivered != 1 || cs.ByStatus[410] != 1 || cs.ByReason["Unregistered"] != 1 {
		t.Fatalf("totals %+v", cs)
	}
	var perSecond persecond.Series
	getJSON(t, hc, r.ts.URL+"/_sim/deliveries-per-second", &perSecond)
	if perSecond.Total() != 1 || perSecond.Start == 0 {
		t.Fatalf("deliveries per second %+v, want the one 200 (the 410 is not a delivery)", perSecond)
	}

	post("clock", `{"skew":"2h"}`, 204)
	if res := push(t, c, note(tok)); res.Reason != "ExpiredProviderToken" {
		t.Fatalf("clock skew over HTTP ignored: %d %q", res.StatusCode, res.Reason)
	}
	post("reset", ``, 204)
	var after Counters
	getJSON(t, hc, r.ts.URL+"/_sim/counters", &after)
	if after.Requests != 0 || len(after.ByStatus) != 0 {
		t.Fatalf("after reset %+v", after)
	}
}

func getJSON(t *testing.T, hc *http.Client, url string, v any) {
	t.Helper()
	resp, err := hc.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, buf.String())
	}
	if err := json.Unmarshal(buf.Bytes(), v); err != nil {
		t.Fatalf("GET %s: %v in %s", url, err, buf.String())
	}
}

// Rate rules with one period and different phases mix faults: here a 429
// and a 503 on every fifth request each, the fault benchmark's mix.
func TestRateRulesMixFaultsByPhase(t *testing.T) {
	r := newRig(t)
	c := r.goodClient()
	err := r.sim.SetRateFaults([]RateRule{
		{EveryNth: 5, Phase: 1, Fault: Fault{Status: 429, Reason: "TooManyRequests"}},
		{EveryNth: 5, Phase: 2, Fault: Fault{Status: 503, Reason: "ServiceUnavailable"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for i := range 10 {
		got = append(got, push(t, c, note(deviceToken(i))).StatusCode)
	}
	want := []int{429, 503, 200, 200, 200, 429, 503, 200, 200, 200}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("answers %v, want %v", got, want)
		}
	}
	if err := r.sim.SetRateFaults([]RateRule{{EveryNth: 5, Phase: 5, Fault: Fault{Status: 429}}}); err == nil {
		t.Error("a phase outside the period was accepted")
	}
}
