package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/converter"

	campaignact "github.com/imshift/imshift/activities/campaign"
)

// pageStats is how long the campaign's SendPage activities took, from
// scheduled to completed (queue wait included), over all its runs: pages
// that last far longer than their provider calls hold the window.
type pageStats struct {
	n        int
	sum, max time.Duration
	// passDone is when the last page of the main pass ended (since the
	// campaign began): under faults the rest of the run is the tail of
	// retries.
	passDone time.Duration
}

func (p pageStats) String() string {
	if p.n == 0 {
		return "no pages"
	}
	return fmt.Sprintf("%d pages, mean %v, max %v", p.n, (p.sum / time.Duration(p.n)).Round(time.Millisecond),
		p.max.Round(time.Millisecond))
}

// addPageStats reads one run's history, adds its SendPage durations, and
// writes one line per page to timeline: scheduled (seconds since began),
// duration, pass and, for a finished page, its pushes and hand-offs.
func (s *stack) addPageStats(ctx context.Context, workflowID, runID string, began time.Time, p *pageStats, timeline io.Writer) error {
	type sched struct {
		at   time.Time
		pass string
	}
	scheduled := map[int64]sched{}
	it := s.tc.GetWorkflowHistory(ctx, workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return err
		}
		if a := e.GetActivityTaskScheduledEventAttributes(); a != nil && a.GetActivityType().GetName() == campaignact.SendPageName {
			var in campaignact.PageInput
			_ = converter.GetDefaultDataConverter().FromPayloads(a.GetInput(), &in)
			scheduled[e.GetEventId()] = sched{e.GetEventTime().AsTime(), in.Pass}
		}
		if a := e.GetActivityTaskCompletedEventAttributes(); a != nil {
			if sc, ok := scheduled[a.GetScheduledEventId()]; ok {
				d := e.GetEventTime().AsTime().Sub(sc.at)
				p.n, p.sum, p.max = p.n+1, p.sum+d, max(p.max, d)
				end := e.GetEventTime().AsTime().Sub(began)
				if sc.pass == campaignact.PassMain {
					p.passDone = max(p.passDone, end)
				}
				var res campaignact.PageResult
				_ = converter.GetDefaultDataConverter().FromPayloads(a.GetResult(), &res)
				var later int64
				if res.Retry != nil {
					later = res.Retry.Devices
				}
				fmt.Fprintf(timeline, "%.3f\t%.3f\t%s\tpushes %d\thanded off %d\n", sc.at.Sub(began).Seconds(), d.Seconds(),
					sc.pass, res.Pushes, later)
			}
		}
	}
	return nil
}
