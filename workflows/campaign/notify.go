package campaign

import (
	"math"

	"go.temporal.io/sdk/workflow"

	notifyact "github.com/imshift/imshift/activities/notify"
	"github.com/imshift/imshift/workflows/notify"
)

// notifier posts the campaign's state changes (docs/notifications.md).
// last is the state last posted: a run starts from the state it was
// handed, so continue-as-new posts nothing, and a new campaign from
// preparing, so its first post is "running" (started).
type notifier struct {
	notify.Notifier
	last string
}

// notifyChange posts the current state if it changed since the last post.
// Percent is the share of the audience settled (sent, pruned or failed).
func (r *campaignRun) notifyChange(ctx workflow.Context) {
	if r.State == r.notes.last {
		return
	}
	prev := r.notes.last
	r.notes.last = r.State
	p := r.progress()
	percent := 0.0
	if p.Targeted > 0 {
		percent = math.Round(float64(p.Targeted-p.Remaining)/float64(p.Targeted)*1000) / 10
	}
	r.notes.Post(ctx, notifyact.Event{
		Kind: "campaign", ID: r.spec.CampaignID, State: r.State, PreviousState: prev,
		Percent: percent, Note: r.Reason,
	})
}
