package campaign

import (
	"encoding/json"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	campaignact "github.com/imshift/imshift/activities/campaign"
)

// PushCampaignName is the campaign workflow type; it is part of the product.
const PushCampaignName = "PushCampaign"

// Campaign signal and query names.
const (
	SignalPause   = "pause"
	SignalResume  = "resume"
	SignalCancel  = "cancel"
	QueryProgress = "progress"
)

// Campaign states, also its ImshiftState search attribute.
const (
	CampaignPreparing = "preparing"
	CampaignRunning   = "running"
	CampaignPaused    = "paused"
	// CampaignWaiting: everything is sent but the deferrals of quiet hours.
	CampaignWaiting   = "waiting"
	CampaignCompleted = "completed"
	CampaignCancelled = "cancelled"
	CampaignFailed    = "failed"
	CampaignDryRun    = "dry_run"
)

// Campaign is the PushCampaign input: the campaign as its manager wrote it
// (issue 4's JSON, fields inline), plus the state a continued run carries.
type Campaign struct {
	campaignact.Spec
	// Continuation is set by continue-as-new only; never by a person.
	Continuation *Continuation `json:"continuation,omitempty"`
}

// CancelRequest is the cancel and pause signals' payload (or none).
type CancelRequest struct {
	Reason string `json:"reason"`
}

// Tuning sizes the sliding window of pages. DefaultTuning suits a million
// devices; tests use small pages to exercise the window and continue-as-new.
type Tuning struct {
	PageSize int // devices per page activity
	Window   int // pages of the pass in flight at once
	// RetryWindow is how many retry pages may be in flight beside them
	// (0: as many as Window).
	RetryWindow int
	PlanPages   int // page boundaries read per plan activity
	PagesPerRun int // pages before continue-as-new
}

// DefaultTuning: pages of 2 000 devices (four provider calls of 500), four
// in flight (eight SendEach calls and 4 000 APNs requests outstanding, as
// with eight pages of 1 000), plus up to eight retry pages, which mostly
// wait out backoffs, and a new run every 400 pages: about 2 400 history
// events, far below the 10 240-event warning. Against pages of 1 000, the
// same devices in flight cost the machine about 15 % less CPU per push: half
// the activities for the Temporal server and the worker (docs/delivery.md,
// "Pages of 2 000").
var DefaultTuning = Tuning{PageSize: 2000, Window: 4, RetryWindow: 8, PlanPages: 20, PagesPerRun: 400}

// pagesOf1000 is the tuning of the runs that began before pages of 2 000
// (GetVersion pages-of-2000), so a recorded run replays with its window.
var pagesOf1000 = Tuning{PageSize: 1000, Window: 8, RetryWindow: 8, PlanPages: 20, PagesPerRun: 400}

// retryWindow is RetryWindow, or Window when unset.
func (t Tuning) retryWindow() int {
	if t.RetryWindow > 0 {
		return t.RetryWindow
	}
	return t.Window
}

// campaignPriority ranks campaign tasks below SendPush's (1): a big campaign
// on the same task queue must not delay an OTP.
const campaignPriority = 4

// Activity options. Pages heartbeat at least every wait step, so a page on
// a killed worker is retried elsewhere after pageHeartbeat; page retries
// are unlimited because the ledger caps each device's attempts.
var (
	pageOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 15 * time.Minute,
		HeartbeatTimeout:    10 * time.Second,
		Priority:            temporal.Priority{PriorityKey: campaignPriority},
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: []string{"SpecChanged"},
		},
	}
	shortOptions = workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		Priority:            temporal.Priority{PriorityKey: campaignPriority},
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
		},
	}
)

// PushCampaign sends a campaign to its audience; see docs/campaigns.md.
// The campaign arrives as raw JSON (the same payload a typed Campaign
// decoded from, so recorded histories replay) and is decoded strictly: an
// unknown field or a wrong type fails the run at once with InvalidInput
// naming the field, whichever path started it (UI, temporal CLI, starter,
// schedule).
func PushCampaign(ctx workflow.Context, input json.RawMessage) (Progress, error) {
	t := DefaultTuning
	if workflow.GetVersion(ctx, "pages-of-2000", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		t = pagesOf1000
	}
	return runCampaign(ctx, input, t)
}

func runCampaign(ctx workflow.Context, input json.RawMessage, t Tuning) (Progress, error) {
	c, err := newCampaignRun(ctx, input, t)
	if err != nil {
		return Progress{}, err
	}
	return c.run(ctx)
}
