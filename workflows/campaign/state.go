package campaign

import (
	"time"

	campaignact "github.com/imshift/imshift/activities/campaign"
)

// PageRange is one page: the devices with ids in (After, Upto].
type PageRange = campaignact.IDRange

// partialRange is the last tally of a range a stopped page left unfinished.
type partialRange struct {
	Range  PageRange          `json:"range"`
	Counts campaignact.Counts `json:"counts"`
}

// Continuation is all of a campaign's state: what continue-as-new carries
// to the next run. Counters and cursors only; no token, no user id.
type Continuation struct {
	State    string           `json:"state"`
	Reason   string           `json:"reason,omitempty"`
	SpecHash string           `json:"specHash"`
	Audience map[string]int64 `json:"audience"`
	// Counts of finished ranges (main pass) adjusted by deferred pages; an
	// exact ledger tally replaces it at the end of every pass.
	Counts  campaignact.Counts `json:"counts"`
	Partial []partialRange     `json:"partial,omitempty"`
	// Pass is campaignact.PassMain or PassDeferred; Cutoff is the deferred
	// pass's "due by" time.
	Pass   string    `json:"pass"`
	Cutoff time.Time `json:"cutoff,omitempty"`
	// Cursor is the last device id planned in this pass; Planned says the
	// pass has no more pages to plan; Queue is planned pages not yet sent
	// (and unfinished ones to send again first).
	Cursor  int64       `json:"cursor"`
	Planned bool        `json:"planned,omitempty"`
	Queue   []PageRange `json:"queue,omitempty"`
	// Retries are the devices pages handed to later retry pages, by due
	// time; they run beside the pass and the pass ends when none is left.
	Retries      []campaignact.RetryLater `json:"retries,omitempty"`
	NextDeferral time.Time                `json:"nextDeferral,omitempty"`
	Pushes       int64                    `json:"pushes"`
	// Pages is how many page activities the campaign started, to number
	// them in the Temporal UI.
	Pages     int       `json:"pages,omitempty"`
	StartedAt time.Time `json:"startedAt"`
	Runs      int       `json:"runs"`
	// Owns: this run chain checked its workflow id and input strictly,
	// claimed the campaign (docs/ownership.md) and releases it at the end.
	// False for chains started before run ownership, which must replay.
	Owns bool `json:"owns,omitempty"`
	// RejectedSignals are the last signals whose payload was refused.
	RejectedSignals []RejectedSignal `json:"rejectedSignals,omitempty"`
}

// RejectedSignal is an operator signal the campaign refused, and why
// (the field its payload got wrong).
type RejectedSignal struct {
	At     time.Time `json:"at"`
	Name   string    `json:"name"`
	State  string    `json:"state"`
	Reason string    `json:"reason"`
}

// Progress is the answer of the progress query and the workflow's result.
type Progress struct {
	CampaignID string `json:"campaignId"`
	State      string `json:"state"`
	// Reason says why the campaign is paused, cancelled or failed.
	Reason   string `json:"reason,omitempty"`
	Targeted int64  `json:"targeted"`
	// Audience is the targeted devices per provider.
	Audience map[string]int64 `json:"audience"`
	Sent     int64            `json:"sent"`
	Pruned   int64            `json:"pruned"`
	// Failed is by reason, e.g. {"transient: INTERNAL": 3}.
	Failed      map[string]int64 `json:"failed"`
	FailedTotal int64            `json:"failedTotal"`
	// Deferred are waiting for quiet hours to end (part of Remaining).
	Deferred     int64      `json:"deferred"`
	NextDeferral *time.Time `json:"nextDeferral,omitempty"`
	// Skipped devices left the registry while deferred.
	Skipped   int64 `json:"skipped"`
	Remaining int64 `json:"remaining"`
	// Rate is devices settled (sent, pruned, failed) per second between
	// ledger reads over the last 10 s; 0 unless running.
	Rate float64 `json:"rate"`
	// ETA is the time left at Rate, e.g. "2m30s"; empty when unknown.
	ETA           string `json:"eta,omitempty"`
	PagesInFlight int    `json:"pagesInFlight"`
	// RefreshedAt is when the figures were last read from the ledger while
	// pages ran (every 2 s); pages that end also update them.
	RefreshedAt *time.Time            `json:"refreshedAt,omitempty"`
	Problems    []campaignact.Problem `json:"problems,omitempty"`
	// Rejected are the last signals whose payload was refused, naming the
	// field (docs/campaigns.md).
	Rejected  []RejectedSignal `json:"rejectedSignals,omitempty"`
	StartedAt time.Time        `json:"startedAt"`
	Runs      int              `json:"runs"`
}

// Targeted is the audience size over all providers.
func (c *Continuation) Targeted() int64 {
	var n int64
	for _, v := range c.Audience {
		n += v
	}
	return n
}

// setPartial records (or replaces) an unfinished range's tally.
func (c *Continuation) setPartial(r PageRange, counts campaignact.Counts) {
	c.dropPartial(r)
	c.Partial = append(c.Partial, partialRange{Range: r, Counts: counts})
}

func (c *Continuation) dropPartial(r PageRange) {
	for i, p := range c.Partial {
		if p.Range == r {
			c.Partial = append(c.Partial[:i], c.Partial[i+1:]...)
			return
		}
	}
}

// rateWindow is how far back Progress.Rate looks.
const rateWindow = 10 * time.Second

// rateMeter remembers (time, devices settled) at each ledger read, for Rate.
type rateMeter struct {
	samples []rateSample
}

type rateSample struct {
	at      time.Time
	settled int64
}

// observe adds a reading and forgets those before the window, keeping the
// last one before it as the window's start.
func (m *rateMeter) observe(at time.Time, settled int64) {
	m.samples = append(m.samples, rateSample{at, settled})
	for len(m.samples) > 2 && !m.samples[1].at.After(at.Add(-rateWindow)) {
		m.samples = m.samples[1:]
	}
}

// perSecond is the devices settled between the window's first and last
// readings over the time between them: what the ledger shows was done, never
// more.
func (m *rateMeter) perSecond() float64 {
	if len(m.samples) < 2 {
		return 0
	}
	first, last := m.samples[0], m.samples[len(m.samples)-1]
	secs := last.at.Sub(first.at).Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(last.settled-first.settled) / secs
}

// progress builds the query answer from the run's state.
func (r *campaignRun) progress() Progress {
	c := r.currentCounts()
	p := Progress{
		CampaignID:    r.spec.CampaignID,
		State:         r.State,
		Reason:        r.Reason,
		Targeted:      r.Targeted(),
		Audience:      r.Audience,
		Sent:          c.Sent,
		Pruned:        c.Pruned,
		Failed:        c.Failed,
		FailedTotal:   c.FailedTotal(),
		Deferred:      c.Deferred,
		Skipped:       c.Skipped,
		PagesInFlight: len(r.inFlight),
		Problems:      r.problems,
		Rejected:      r.RejectedSignals,
		StartedAt:     r.StartedAt,
		Runs:          r.Runs,
	}
	if p.Failed == nil {
		p.Failed = map[string]int64{}
	}
	if p.Audience == nil {
		p.Audience = map[string]int64{}
	}
	if !r.NextDeferral.IsZero() && c.Deferred > 0 {
		next := r.NextDeferral
		p.NextDeferral = &next
	}
	if !r.live.at.IsZero() {
		at := r.live.at
		p.RefreshedAt = &at
	}
	p.Remaining = max(0, p.Targeted-c.Settled())
	if p.State == CampaignRunning {
		p.Rate = r.rate.perSecond()
	}
	if p.Rate > 0 {
		eta := time.Duration(float64(p.Remaining-p.Deferred) / p.Rate * float64(time.Second))
		p.ETA = max(0, eta).Round(time.Second).String()
	}
	return p
}
