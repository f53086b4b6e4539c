package campaign

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/imshift/imshift/activities/delivery"
)

// LiveTallyName is the local activity the workflow runs every couple of
// seconds while pages run, so its progress follows the ledger.
const LiveTallyName = "CampaignLiveTally"

// IDRange is the devices with ids in (After, Upto].
type IDRange struct {
	After int64 `json:"after"`
	Upto  int64 `json:"upto"`
}

// LiveInput asks for the ledger's figures of a pass in flight.
type LiveInput struct {
	CampaignID string
	Pass       string
	// Ranges are the main-pass pages in flight.
	Ranges []IDRange `json:",omitempty"`
}

// LiveResult is the ledger as of At: per range for the main pass (the rest
// of the campaign is what the workflow booked from finished pages), the whole
// campaign for a deferred pass (whose pages' ranges also hold rows the main
// pass settled, so a range's tally is not what the pass did).
type LiveResult struct {
	At     time.Time
	Ranges []Counts `json:",omitempty"`
	Whole  *Counts  `json:",omitempty"`
}

// LiveTally reads the figures. A main-pass read touches only the rows of the
// pages in flight (a window of pages, by primary key); a deferred pass counts
// the campaign's rows.
func (a *Activities) LiveTally(ctx context.Context, in LiveInput) (LiveResult, error) {
	res := LiveResult{At: time.Now()}
	if in.Pass == PassDeferred {
		t, err := a.ledger.Tally(ctx, in.CampaignID)
		res.Whole = &t.Counts
		return res, err
	}
	var err error
	res.Ranges, err = a.ledger.TallyRanges(ctx, in.CampaignID, in.Ranges)
	return res, err
}

// TallyRanges counts the campaign's rows in each range, in the ranges' order.
func (l ledger) TallyRanges(ctx context.Context, campaignID string, ranges []IDRange) ([]Counts, error) {
	out := make([]Counts, len(ranges))
	if len(ranges) == 0 {
		return out, nil
	}
	afters, uptos := make([]int64, len(ranges)), make([]int64, len(ranges))
	for i, r := range ranges {
		afters[i], uptos[i] = r.After, r.Upto
	}
	rows, err := l.Pool().Query(ctx, `
		SELECT l.i, l.outcome, l.reason, count(*)
		FROM (`+rangeRows+`) l
		GROUP BY 1, 2, 3`, delivery.CampaignSend(campaignID), afters, uptos)
	if err != nil {
		return nil, fmt.Errorf("ledger: tally pages: %w", err)
	}
	var i, n int64
	var outcome, reason string
	_, err = pgx.ForEachRow(rows, []any{&i, &outcome, &reason, &n}, func() error {
		out[i-1].count(outcome, reason, n)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: tally pages: %w", err)
	}
	return out, nil
}
