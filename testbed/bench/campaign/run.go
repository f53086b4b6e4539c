package main

import (
	"context"
	"fmt"
	"github.com/imshift/imshift/testbed/bench/procstat"
	"os"
	"path/filepath"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	campaignact "github.com/imshift/imshift/activities/campaign"
	"github.com/imshift/imshift/workflows/campaign"
)

// result is one latency's figures.
type result struct {
	latency    time.Duration
	devices    int
	raw        float64 // pushes/s, the better of rawRuns
	rawRuns    [2]float64
	e2e        float64 // pushes/s, the paused interval left out
	delivered  int64   // pushes the simulators acknowledged
	distinct   int64   // devices with at least one acknowledged push
	elapsed    time.Duration
	peakRSS    int64
	maxEvents  int64
	runs       int
	pauseToEnd time.Duration // pause signal to the last push the simulators saw
	rawCPU     cpuUse        // during the raw ceiling that counted (raw)
	cpu        cpuUse        // during the campaign
	pages      pageStats
	calls      string // provider calls and their sizes (callSizes)
}

func (r result) ratio() float64 { return r.e2e / r.raw }

func (r result) summary() string {
	return fmt.Sprintf("raw %.0f/s (before %.0f, after %.0f), end-to-end %.0f/s (ratio %.2f), worker peak RSS %s, largest history %d events in %d runs, pause %v, client CPU per push raw %v, worker %v",
		r.raw, r.rawRuns[0], r.rawRuns[1], r.e2e, r.ratio(), procstat.MiB(r.peakRSS), r.maxEvents, r.runs, r.pauseToEnd.Round(time.Millisecond),
		perPush(r.rawCPU.bench, r.devices), perPush(r.cpu.worker, r.devices))
}

// measure runs the raw ceiling, the campaign, and the raw ceiling again:
// the machine may be shared, so the ceiling is the better of the two raw
// runs around the campaign (the ratio errs low, never high).
func (s *stack) measure(ctx context.Context, lat time.Duration) (result, error) {
	res := result{latency: lat, devices: s.f.devices}
	before, beforeCPU, err := s.raw(ctx, lat)
	if err != nil {
		return res, err
	}
	if err := s.sims.Reset(lat); err != nil {
		return res, err
	}
	if err := s.runCampaign(ctx, &res, true); err != nil {
		return res, err
	}
	if res.delivered != int64(res.devices) || res.distinct != int64(res.devices) {
		return res, fmt.Errorf("simulators delivered %d pushes to %d of %d devices", res.delivered, res.distinct, res.devices)
	}
	after, afterCPU, err := s.raw(ctx, lat)
	if err != nil {
		return res, err
	}
	res.rawRuns = [2]float64{before, after}
	res.raw, res.rawCPU = before, beforeCPU
	if after > before {
		res.raw, res.rawCPU = after, afterCPU
	}
	return res, nil
}

// raw measures the raw ceiling once on freshly reset simulators, and the
// CPU it took.
func (s *stack) raw(ctx context.Context, lat time.Duration) (float64, cpuUse, error) {
	if err := s.sims.Reset(lat); err != nil {
		return 0, cpuUse{}, err
	}
	logf("raw ceiling at %v: %d pushes", lat, s.f.devices)
	meter, err := s.meterCPU("")
	if err != nil {
		return 0, cpuUse{}, err
	}
	raw, _, err := s.rawCeiling(ctx)
	if err != nil {
		return 0, cpuUse{}, err
	}
	use, err := meter.use()
	logf("raw ceiling at %v: %.0f pushes/s", lat, raw)
	return raw, use, err
}

// startWorker starts a fresh worker process on a task queue of its own.
func (s *stack) startWorker(ctx context.Context, name string) (*proc, string, workerAddrs, error) {
	queue := fmt.Sprintf("%s-%d", name, time.Now().UnixNano())
	env, addrs, err := s.workerEnv(queue)
	if err != nil {
		return nil, "", addrs, err
	}
	w, err := start("worker", filepath.Join(s.dir, "worker"), filepath.Join(s.dir, queue+"-worker.log"), env)
	if err != nil {
		return nil, "", addrs, err
	}
	if err := waitListening(ctx, addrs.metrics, time.Minute); err != nil {
		w.stop()
		return nil, "", addrs, err
	}
	return w, queue, addrs, nil
}

// benchCampaign is the campaign the benchmarks send, to everyone.
func benchCampaign(id string) campaign.Campaign {
	return campaign.Campaign{Spec: campaignact.Spec{
		CampaignID: id,
		Category:   "marketing",
		Audience:   campaignact.Audience{All: true},
		Message: campaignact.Message{Title: "Spring sale", Body: "20% off today", Data: map[string]string{"deeplink": "app://sale"},
			Localized: map[string]campaignact.Text{"de": {Title: "Frühlingsangebot", Body: "Heute 20% Rabatt"}}},
		Options: campaignact.Options{TTL: "24h", CollapseKey: "spring-sale", APNsPushType: "alert", Sound: "default"},
	}}
}

// runCampaign starts a fresh worker process and the campaign, pauses it
// once if pause is set, resumes it, and waits for the end.
func (s *stack) runCampaign(ctx context.Context, res *result, pause bool) error {
	w, queue, addrs, err := s.startWorker(ctx, fmt.Sprintf("bench-%dms", res.latency.Milliseconds()))
	if err != nil {
		return err
	}
	defer w.stop()
	c := benchCampaign(fmt.Sprintf("bench-%dms-%d", res.latency.Milliseconds(), time.Now().Unix()))
	logf("campaign %s: %d devices on worker pid %s", c.CampaignID, res.devices, w.pid())
	meter, err := s.meterCPU(w.pid())
	if err != nil {
		return err
	}
	began := time.Now()
	run, err := s.tc.ExecuteWorkflow(ctx, campaign.StartCampaignOptions(c.CampaignID, queue), campaign.PushCampaignName, c)
	if err != nil {
		return err
	}
	s.profileWorker(addrs, c.CampaignID)
	var paused time.Duration
	if pause {
		if paused, err = s.pauseOnce(ctx, run.GetID(), res); err != nil {
			return err
		}
	}
	var p campaign.Progress
	if err := s.tc.GetWorkflow(ctx, run.GetID(), "").Get(ctx, &p); err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	res.elapsed = time.Since(began) - paused
	if res.cpu, err = meter.use(); err != nil {
		return err
	}
	if res.delivered, res.distinct, err = s.sims.Deliveries(); err != nil {
		return err
	}
	if p.Sent != int64(res.devices) {
		return fmt.Errorf("campaign ended %s with %d sent of %d (failed %v)", p.State, p.Sent, res.devices, p.Failed)
	}
	res.e2e = float64(res.delivered) / res.elapsed.Seconds()
	if res.calls, err = callSizes(addrs.metrics); err != nil {
		return err
	}
	if res.peakRSS, err = procstat.PeakRSS(w.pid()); err != nil {
		return err
	}
	return s.historySizes(ctx, run.GetID(), began, res)
}

// pauseOnce waits until pauseAt of the audience is delivered, signals pause,
// watches the simulators' counters until they have not moved for three
// seconds, records the time from the signal to the last push, and resumes.
// It returns how long the campaign was held.
func (s *stack) pauseOnce(ctx context.Context, workflowID string, res *result) (time.Duration, error) {
	threshold := int64(float64(res.devices) * s.f.pauseAt)
	for {
		n, err := s.sims.Delivered()
		if err != nil {
			return 0, err
		}
		if n >= threshold {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	signalled := time.Now()
	if err := s.tc.SignalWorkflow(ctx, workflowID, "", campaign.SignalPause, nil); err != nil {
		return 0, err
	}
	last, lastAt := int64(-1), signalled
	for time.Since(lastAt) < 3*time.Second {
		n, err := s.sims.Delivered()
		if err != nil {
			return 0, err
		}
		if n != last {
			last, lastAt = n, time.Now()
		}
		time.Sleep(2 * time.Millisecond)
	}
	res.pauseToEnd = max(0, lastAt.Sub(signalled))
	logf("paused at %d pushes; last push %v after the signal", last, res.pauseToEnd.Round(time.Millisecond))
	if err := s.tc.SignalWorkflow(ctx, workflowID, "", campaign.SignalResume, nil); err != nil {
		return 0, err
	}
	return time.Since(signalled), nil
}

// historySizes finds the largest history among the campaign's runs and
// how long its pages took.
func (s *stack) historySizes(ctx context.Context, workflowID string, began time.Time, res *result) error {
	resp, err := s.tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
		Query: fmt.Sprintf("WorkflowId = '%s'", workflowID), PageSize: 1000})
	if err != nil {
		return err
	}
	timeline, err := os.Create(filepath.Join(s.dir, workflowID+"-pages.tsv"))
	if err != nil {
		return err
	}
	defer timeline.Close()
	for _, ex := range resp.GetExecutions() {
		d, err := s.tc.DescribeWorkflowExecution(ctx, workflowID, ex.GetExecution().GetRunId())
		if err != nil {
			return err
		}
		res.runs++
		res.maxEvents = max(res.maxEvents, d.GetWorkflowExecutionInfo().GetHistoryLength())
		if err := s.addPageStats(ctx, workflowID, ex.GetExecution().GetRunId(), began, &res.pages, timeline); err != nil {
			return err
		}
	}
	logf("SendPage activities, scheduled to completed: %v (timeline in %s)", res.pages, timeline.Name())
	return nil
}

func perPush(d time.Duration, n int) time.Duration { return d / time.Duration(max(n, 1)) }
