package campaign

import (
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/imshift/imshift/workflows"
)

// Search attributes Temporal sets on every run a schedule starts.
var (
	scheduledByKey    = temporal.NewSearchAttributeKeyKeyword("TemporalScheduledById")
	scheduledStartKey = temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime")
)

// ScheduledTimeFormat is how a scheduled run's time appears in its campaign
// id: as Temporal appends it to the run's workflow id, so the campaign of
// workflow "campaign-weekly-digest-2027-03-01T08:00:00Z" is
// "weekly-digest-2027-03-01T08:00:00Z".
const ScheduledTimeFormat = time.RFC3339

// scheduledCampaignID gives a run started by a schedule its own campaign id:
// the input's campaignId (or the schedule id when empty) and the run's
// scheduled time, e.g. "weekly-digest-2027-03-01T08:00:00Z". The ledger is keyed
// by campaign id, so a retried run, a backfill or a second trigger for the
// same scheduled time sends nothing twice. Other runs keep the id as given.
func scheduledCampaignID(ctx workflow.Context, given string) string {
	by, at, ok := scheduledBy(ctx)
	if !ok {
		return given
	}
	if given == "" {
		given = by
	}
	return given + "-" + at
}

// canonicalWorkflowID is the one workflow id a new run of this input may
// have: campaign-<campaignId>; for a run a schedule started, the id the
// schedule gives its runs: its action's id, campaign-<schedule id>
// (ScheduleOptions), and "-<scheduled time>", which Temporal appends.
func canonicalWorkflowID(ctx workflow.Context, given string) string {
	by, at, ok := scheduledBy(ctx)
	if !ok {
		return CampaignWorkflowID(given)
	}
	return CampaignWorkflowID(by) + "-" + at
}

// scheduledBy is the schedule that started this run and the run's scheduled
// time as Temporal writes it into the run's workflow id; ok is false for a
// run no schedule started.
func scheduledBy(ctx workflow.Context) (by, at string, ok bool) {
	sa := workflow.GetTypedSearchAttributes(ctx)
	by, ok = sa.GetKeyword(scheduledByKey)
	t, okAt := sa.GetTime(scheduledStartKey)
	if !ok || !okAt {
		return "", "", false
	}
	return by, t.UTC().Format(ScheduledTimeFormat), true
}

// CampaignWorkflowID is the workflow id of a campaign: "campaign-" and its id.
// A schedule's runs get Temporal's scheduled-time suffix on top.
func CampaignWorkflowID(campaignID string) string { return "campaign-" + campaignID }

// ValidateCampaign checks a campaign before it is started, as the workflow
// will: the starter and the UI refuse bad input before anything is sent.
// The error is a *field.Error naming the field.
func ValidateCampaign(c Campaign) error {
	if c.Continuation != nil {
		return errors.New("continuation: set by the workflow itself, never in an input")
	}
	if fe := c.Validate(); fe != nil {
		return fe
	}
	return nil
}

// StartCampaignOptions are the options the starter starts a campaign with:
// its workflow id, and the search attributes set from the first moment.
// A campaign id already running is refused; a finished one may run again
// (the ledger then sends only to devices it has not reached).
func StartCampaignOptions(campaignID, taskQueue string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       CampaignWorkflowID(campaignID),
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes:    campaignAttributes(campaignID),
		// Say so instead of handing back the running campaign as if it
		// had just been started.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}
}

func campaignAttributes(campaignID string) temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		workflows.KindKey.ValueSet("campaign"),
		workflows.StateKey.ValueSet(CampaignPreparing),
		workflows.CampaignIDKey.ValueSet(campaignID))
}

// Schedule policies: a run still going when the next is due makes the next
// one skip; a run missed while the server was down is made up for only
// within the catch-up window (a digest hours late is worse than none); a
// failed run pauses the schedule until a person looks.
const scheduleCatchupWindow = 5 * time.Minute

// CampaignSchedule is what `starter schedule create` asks for.
type CampaignSchedule struct {
	ID        string
	Spec      client.ScheduleSpec
	Campaign  Campaign
	TaskQueue string
	Note      string
}

// ScheduleOptions builds the Temporal Schedule that starts PushCampaign.
// Each run's workflow id is "campaign-<schedule id>-<scheduled time>"
// (Temporal appends the time), and its campaign id is derived the same way
// (scheduledCampaignID), so every scheduled time sends at most once.
func ScheduleOptions(s CampaignSchedule) client.ScheduleOptions {
	return client.ScheduleOptions{
		ID:   s.ID,
		Spec: s.Spec,
		Action: &client.ScheduleWorkflowAction{
			ID:                    CampaignWorkflowID(s.ID),
			Workflow:              PushCampaignName,
			Args:                  []any{s.Campaign},
			TaskQueue:             s.TaskQueue,
			TypedSearchAttributes: campaignAttributes(s.ID),
			StaticSummary:         ScheduleSummary(s.ID, s.Campaign),
		},
		Overlap:        enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow:  scheduleCatchupWindow,
		PauseOnFailure: true,
		Note:           s.Note,
	}
}
