package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"
)

// targetFaultRatio: the faulty run's rate over the clean run's (issue 12).
const targetFaultRatio = 0.5

// faultBench runs the campaign three times at the first latency, on a fresh
// worker each time: on clean simulators, with faultMix injected, and clean
// again. It prints delivered, duplicated, lost and pushes/s for each and
// the ratio of the faulty run's rate to the better clean one: the machine
// may be shared, so, as with the raw ceiling, the ratio errs low, never
// high.
func (s *stack) faultBench(ctx context.Context, w io.Writer) error {
	lat := s.f.latencies[0]
	var runs [3]result
	for i, faulty := range []bool{false, true, false} {
		runs[i] = result{latency: lat, devices: s.f.devices}
		if err := s.sims.Reset(lat); err != nil {
			return err
		}
		if faulty {
			if err := s.sims.FaultMix(); err != nil {
				return err
			}
		}
		if err := s.runCampaign(ctx, &runs[i], false); err != nil {
			return err
		}
		logf("faults=%v: %.0f pushes/s, %d delivered to %d devices", faulty, runs[i].e2e, runs[i].delivered, runs[i].distinct)
	}
	reportFaults(w, s.f, runs)
	return nil
}

var runNames = [3]string{"clean", "20 % 429 + 20 % 503", "clean again"}

func reportFaults(w io.Writer, f flags, runs [3]result) {
	fmt.Fprintf(w, "\nPushCampaign under provider faults: %d devices (half FCM, half APNs), %v simulator latency, %d CPUs\n\n",
		f.devices, runs[0].latency, runtime.NumCPU())
	fmt.Fprintf(w, "| run | delivered | duplicated | lost | pushes/s | elapsed | main pass done | worker CPU per push | SendPage activities |\n|---|---|---|---|---|---|---|---|---|\n")
	for i, name := range runNames {
		r := runs[i]
		fmt.Fprintf(w, "| %s | %d | %d | %d | %.0f | %v | %v | %v | %v |\n", name, r.distinct, r.delivered-r.distinct,
			int64(r.devices)-r.distinct, r.e2e, r.elapsed.Round(time.Millisecond), r.pages.passDone.Round(100*time.Millisecond),
			perPush(r.cpu.worker, r.devices).Round(time.Microsecond), r.pages)
	}
	fmt.Fprintf(w, "\nCPU per push by process, µs:\n\n")
	cpuHeader(w, "run")
	for i, name := range runNames {
		cpuRow(w, name, runs[i].cpu, runs[i].devices)
	}
	for _, r := range runs {
		logf("provider calls at %.0f pushes/s: %s", r.e2e, r.calls)
	}
	ratio := runs[1].e2e / max(runs[0].e2e, runs[2].e2e)
	fmt.Fprintf(w, "\nratio faulty / better clean: %.2f\n\n", ratio)
	for _, r := range runs {
		check(w, fmt.Sprintf("%d lost, %d duplicated", int64(r.devices)-r.distinct, r.delivered-r.distinct),
			r.distinct == int64(r.devices) && r.delivered == r.distinct)
	}
	check(w, fmt.Sprintf("ratio %.2f ≥ %.1f", ratio, targetFaultRatio), ratio >= targetFaultRatio)
}
