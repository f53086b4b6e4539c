package campaign

import (
	"encoding/json"
	"errors"

	"go.temporal.io/sdk/workflow"

	"github.com/imshift/imshift/activities/ownership"
	"github.com/imshift/imshift/workflows"
)

// decodeCampaign reads the input strictly. When that fails it also reads it
// as the SDK did before strict inputs (unknown fields dropped): a run
// recorded before them must replay as it ran; newer runs are refused.
func decodeCampaign(input json.RawMessage) (Campaign, error) {
	var in Campaign
	err := workflows.DecodeStrict(input, &in)
	if err != nil {
		_ = json.Unmarshal(input, &in)
	}
	return in, err
}

// refuseInput is the first problem of a new run's input: undecodable,
// invalid, or started under another workflow id than its canonical one
// (docs/ownership.md). A continued run carries input its chain accepted.
func (r *campaignRun) refuseInput(ctx workflow.Context, in Campaign, decodeErr error) *workflows.InputError {
	if in.Continuation != nil {
		return nil
	}
	var fe *workflows.InputError
	if r.Owns && errors.As(decodeErr, &fe) {
		return fe
	}
	if fe := r.spec.Validate(); fe != nil || !r.Owns {
		return fe
	}
	if errors.As(workflows.CheckWorkflowID(ctx, canonicalWorkflowID(ctx, in.CampaignID)), &fe) {
		return fe
	}
	return nil
}

// takeoverQuiet is how long a run that took a campaign over from a
// terminated run waits before it sends: twice the page heartbeat timeout,
// so pages the terminated run left on workers have seen (on a refused
// heartbeat) that their workflow is gone and stopped. What they sent is in
// the ledger, which the new run's pages then skip.
var takeoverQuiet = 2 * pageOptions.HeartbeatTimeout

// claim makes this run the campaign's one live owner, first thing of the
// chain's first run, before the audience is read or anything sent. A
// campaign is never refused for having ended: a new run of a completed
// campaign id sends only to devices its ledger has not settled
// (docs/campaigns.md).
func (r *campaignRun) claim(ctx workflow.Context) error {
	if !r.Owns {
		return nil
	}
	res, err := workflows.ClaimRun(ctx, ownership.KindCampaign, r.spec.CampaignID)
	if err != nil {
		r.logger.Error("run refused", "error", err)
		return err
	}
	prev := res.TookOverFrom
	if prev == nil {
		return nil
	}
	if prev.FinalState != "" {
		r.logger.Info("campaign taken over", "from", prev.WorkflowID, "fromRun", prev.RunID, "ended", prev.FinalState)
		return nil
	}
	r.logger.Warn("campaign taken over from a run that ended without releasing it (terminated); waiting for its pages to stop",
		"from", prev.WorkflowID, "fromRun", prev.RunID, "wait", takeoverQuiet)
	return workflow.Sleep(ctx, takeoverQuiet)
}

// release records how the campaign ended, so the next run of its id may
// take over at once.
func (r *campaignRun) release(ctx workflow.Context) {
	if !r.Owns {
		return
	}
	if err := workflows.ReleaseRun(ctx, ownership.KindCampaign, r.spec.CampaignID, r.State); err != nil {
		r.logger.Warn("run ownership not released; the next run takes it over", "error", err)
	}
}
