package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/imshift/imshift/workflows/campaign"
)

// SendPush benchmark: POST /v1/push at rising steady rates, latency from
// the request to the provider's acknowledgement (the ledger's sent_at of the
// push's last device; each bench user has one FCM and one APNs device).
// The issue asked for 202 → ack; the API now delivers before it answers
// (sendpush.Dispatcher), so that would be zero or less: request → ack is
// the stricter figure and what an OTP's user waits for. The answer's own
// latency (request → 202) is printed beside it.
var pushRates = []int{25, 50, 100, 200, 400}

const (
	pushP99Limit   = 2 * time.Second // the ladder stops at the first step over it
	pushTargetRate = 100             // the step also measured beside a campaign
	pushTargetP99  = time.Second
	pushSettle     = 30 * time.Second // how long a step's pushes may take to land
)

// pushStep is one rate's figures.
type pushStep struct {
	rate, accepted, errors, late int
	elapsed                      time.Duration
	p50, p99                     time.Duration // request → last ack
	answerP99                    time.Duration // request → 202
}

// accepted is one 202: when its request was sent, how long the answer
// took, and for which workflow.
type accepted struct {
	sent       time.Time
	answer     time.Duration
	workflowID string
}

// sendPushBench runs the ladder on one worker, then the target rate again
// while a full-speed campaign runs on the same worker.
func (s *stack) sendPushBench(ctx context.Context, w io.Writer) error {
	if err := s.sims.Reset(s.f.latencies[0]); err != nil {
		return err
	}
	wp, queue, addrs, err := s.startWorker(ctx, "bench-sendpush")
	if err != nil {
		return err
	}
	defer wp.stop()
	api := "http://" + addrs.http
	var steps []pushStep
	for _, rate := range pushRates {
		st, err := s.pushStep(ctx, api, rate)
		if err != nil {
			return err
		}
		steps = append(steps, st)
		logf("SendPush at %d/s: %s", rate, st)
		if st.p99 > pushP99Limit {
			break
		}
	}
	c := benchCampaign(fmt.Sprintf("bench-beside-push-%d", time.Now().Unix()))
	run, err := s.startBeside(ctx, c, queue)
	if err != nil {
		return err
	}
	beside, err := s.pushStep(ctx, api, pushTargetRate)
	if err != nil {
		return err
	}
	logf("SendPush at %d/s beside a campaign: %s", pushTargetRate, beside)
	_ = s.tc.SignalWorkflow(ctx, run.GetID(), "", campaign.SignalCancel, map[string]string{"reason": "benchmark done"})
	reportPush(w, s.f, steps, beside)
	return nil
}

// campaignStartWait bounds the start of the campaign beside SendPush.
const campaignStartWait = 2 * time.Minute

// startBeside starts the campaign that runs beside SendPush. The ladder's
// last step leaves the dev server thousands of SendPush starts behind (the
// sweep drains them at the server's pace), so one start call may time out
// after the client's 10 s: it is tried again until campaignStartWait, and a
// start that did go through is found by its id.
func (s *stack) startBeside(ctx context.Context, c campaign.Campaign, queue string) (client.WorkflowRun, error) {
	opts := campaign.StartCampaignOptions(c.CampaignID, queue)
	deadline := time.Now().Add(campaignStartWait)
	for {
		run, err := s.tc.ExecuteWorkflow(ctx, opts, campaign.PushCampaignName, c)
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		switch {
		case err == nil:
			return run, nil
		case errors.As(err, &started):
			return s.tc.GetWorkflow(ctx, opts.ID, ""), nil
		case ctx.Err() != nil || time.Now().After(deadline):
			return nil, err
		}
		logf("starting the campaign beside SendPush: %v; trying again", err)
	}
}

func (st pushStep) String() string {
	return fmt.Sprintf("%d accepted in %v (%.0f/s), %d errors, %d not delivered within %v, request → ack p50 %v, p99 %v, request → 202 p99 %v",
		st.accepted, st.elapsed.Round(time.Millisecond), float64(st.accepted)/st.elapsed.Seconds(), st.errors, st.late,
		pushSettle, st.p50.Round(time.Millisecond), st.p99.Round(time.Millisecond), st.answerP99.Round(time.Millisecond))
}

// pushStep posts at rate for the step duration, then waits for the pushes
// to land and computes the latencies.
func (s *stack) pushStep(ctx context.Context, api string, rate int) (pushStep, error) {
	st := pushStep{rate: rate}
	var (
		mu   sync.Mutex
		got  []accepted
		wg   sync.WaitGroup
		hc   = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
		tick = time.NewTicker(time.Second / time.Duration(rate))
	)
	defer tick.Stop()
	users := s.f.devices / 2
	began := time.Now()
	for i := 0; time.Since(began) < s.f.step; i++ {
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-tick.C:
		}
		key := fmt.Sprintf("bench-%d-%d-%d", rate, began.UnixNano(), i)
		user := fmt.Sprintf("user-%d", (rate*7919+i)%users)
		wg.Go(func() {
			a, err := postPush(hc, api, user, key)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				st.errors++
				return
			}
			got = append(got, a)
		})
	}
	st.elapsed = time.Since(began) // the offered period; late answers still count
	wg.Wait()
	st.accepted = len(got)
	answers := make([]time.Duration, len(got))
	for i, a := range got {
		answers[i] = a.answer
	}
	st.answerP99 = p99Of(answers)
	lat, err := s.pushLatencies(ctx, got)
	if err != nil {
		return st, err
	}
	st.late = len(got) - len(lat)
	for range st.late { // an undelivered push counts as slower than any
		lat = append(lat, time.Hour)
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		st.p50 = lat[len(lat)/2]
	}
	st.p99 = p99Of(lat)
	return st, nil
}

// p99Of is the 99th percentile of d (sorted in place), 0 for none.
func p99Of(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, len(d)*99/100)]
}

// postPush asks the worker's API for an OTP push.
func postPush(hc *http.Client, api, user, key string) (accepted, error) {
	body, _ := json.Marshal(map[string]any{"userId": user, "category": "otp", "title": "Your code",
		"body": "123456", "ttl": "2m", "idempotencyKey": key})
	req, err := http.NewRequest(http.MethodPost, api+"/v1/push", bytes.NewReader(body))
	if err != nil {
		return accepted{}, err
	}
	req.Header.Set("Authorization", "Bearer "+benchAPIToken)
	req.Header.Set("Content-Type", "application/json")
	sent := time.Now()
	resp, err := hc.Do(req)
	if err != nil {
		return accepted{}, err
	}
	defer resp.Body.Close()
	answer := time.Since(sent)
	var out struct {
		WorkflowID string `json:"workflowId"`
	}
	if resp.StatusCode != http.StatusAccepted || json.NewDecoder(resp.Body).Decode(&out) != nil {
		return accepted{}, fmt.Errorf("POST /v1/push: %s", resp.Status)
	}
	return accepted{sent: sent, answer: answer, workflowID: out.WorkflowID}, nil
}

// pushLatencies waits (up to pushSettle) until every accepted push's
// devices are all sent in the ledger and returns request → last ack for
// each that made it.
func (s *stack) pushLatencies(ctx context.Context, got []accepted) ([]time.Duration, error) {
	ids := make([]string, len(got))
	for i, a := range got {
		ids[i] = "push:" + a.workflowID
	}
	deadline := time.Now().Add(pushSettle)
	for {
		sent := map[string]time.Time{}
		rows, err := s.pool.Query(ctx, `
			SELECT send_id, max(sent_at) FROM imshift.push_ledger WHERE send_id = ANY($1)
			GROUP BY send_id HAVING bool_and(outcome = 'sent')`, ids)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			var at time.Time
			if err := rows.Scan(&id, &at); err != nil {
				rows.Close()
				return nil, err
			}
			sent[id] = at
		}
		rows.Close()
		if len(sent) == len(got) || time.Now().After(deadline) {
			var lat []time.Duration
			for i, a := range got {
				if at, ok := sent[ids[i]]; ok {
					lat = append(lat, at.Sub(a.sent))
				}
			}
			return lat, nil
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func reportPush(w io.Writer, f flags, steps []pushStep, beside pushStep) {
	fmt.Fprintf(w, "\nSendPush over POST /v1/push: one user (one FCM + one APNs device) per push, %v simulator latency, %v per step, %d CPUs\n\n",
		f.latencies[0], f.step, runtime.NumCPU())
	fmt.Fprintf(w, "| offered/s | accepted/s | errors | not delivered in %v | p50 request→ack | p99 request→ack | p99 request→202 |\n|---|---|---|---|---|---|---|\n", pushSettle)
	row := func(name string, st pushStep) {
		fmt.Fprintf(w, "| %s | %.0f | %d | %d | %v | %v | %v |\n", name, float64(st.accepted)/st.elapsed.Seconds(), st.errors, st.late,
			st.p50.Round(time.Millisecond), st.p99.Round(time.Millisecond), st.answerP99.Round(time.Millisecond))
	}
	for _, st := range steps {
		row(fmt.Sprint(st.rate), st)
	}
	row(fmt.Sprintf("%d beside a full-speed campaign", beside.rate), beside)
	fmt.Fprintln(w)
	for _, st := range steps {
		if st.rate == pushTargetRate {
			check(w, fmt.Sprintf("p99 %v ≤ 1s at %d/s", st.p99.Round(time.Millisecond), pushTargetRate), st.p99 <= pushTargetP99)
		}
	}
	check(w, fmt.Sprintf("p99 %v ≤ 2s at %d/s beside a campaign", beside.p99.Round(time.Millisecond), pushTargetRate), beside.p99 <= pushP99Limit)
}
