package campaign

import (
	"cmp"
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/internal/registry"
)

// Activity names, as the workflow schedules them.
const (
	PrepareName  = "CampaignPrepare"
	PlanName     = "CampaignPlan"
	SendPageName = "CampaignSendPage"
	StopName     = "CampaignStop"
	TallyName    = "CampaignTally"
)

// Passes over the audience.
const (
	// PassMain walks the registry by device id.
	PassMain = "main"
	// PassDeferred walks the ledger's deferred rows whose quiet hours ended.
	PassDeferred = "deferred"
	// PassRetry sends the ledger's retrying rows in PageInput.Ranges: the
	// devices earlier pages handed off (RetryLater). Retry pages run
	// beside the pages of either pass.
	PassRetry = "retry"
)

// Config is what the campaign activities talk to.
type Config struct {
	DB    *pgxpool.Pool
	Redis *redis.Client
	// Senders by provider ("fcm", "apns").
	Senders map[string]delivery.Sender
	// ProviderRate is the global per-second limit per provider across all
	// workers (IMSHIFT_FCM_RATE_PER_SECOND, IMSHIFT_APNS_RATE_PER_SECOND).
	ProviderRate map[string]int
	// Retry is how devices with retryable answers are retried; zero means
	// DefaultRetry.
	Retry RetryPolicy
	// OnPruned, when set, is handed the devices a page has just invalidated
	// as dead, so their tokens leave OpenIM too (tokens.Pruner.Pruned). It
	// must not block.
	OnPruned func(deviceIDs []int64)
}

// Activities are the campaign activities; register them with Register.
type Activities struct {
	registry *registry.Store
	ledger   ledger
	gate     *Gate
	retry    RetryPolicy
	specs    *specStore
	senders  map[string]delivery.Sender
	onPruned func(deviceIDs []int64)
}

// New builds the activities on cfg.
func New(cfg Config) *Activities {
	return &Activities{
		registry: registry.New(cfg.DB),
		ledger:   ledger{delivery.NewLedger(cfg.DB)},
		gate:     NewGate(cfg.Redis, cfg.ProviderRate),
		retry:    cmp.Or(cfg.Retry, DefaultRetry),
		specs:    newSpecStore(cfg.DB),
		senders:  cfg.Senders,
		onPruned: cfg.OnPruned,
	}
}

// Register puts every campaign activity on r under its name.
func (a *Activities) Register(r worker.Registry) {
	r.RegisterActivityWithOptions(a.Prepare, activity.RegisterOptions{Name: PrepareName})
	r.RegisterActivityWithOptions(a.Plan, activity.RegisterOptions{Name: PlanName})
	r.RegisterActivityWithOptions(a.SendPage, activity.RegisterOptions{Name: SendPageName})
	r.RegisterActivityWithOptions(a.Stop, activity.RegisterOptions{Name: StopName})
	r.RegisterActivityWithOptions(a.Tally, activity.RegisterOptions{Name: TallyName})
	r.RegisterActivityWithOptions(a.LiveTally, activity.RegisterOptions{Name: LiveTallyName})
}

// PrepareInput starts (or dry-runs) a campaign.
type PrepareInput struct {
	Spec Spec
}

// PrepareResult is the audience and the handle pages use to read the spec.
type PrepareResult struct {
	SpecHash string
	// Audience is the number of valid devices per provider.
	Audience map[string]int64
	// Problems are what validate-only sends found (dry runs only).
	Problems []Problem `json:",omitempty"`
}

// Problem is a provider refusing the campaign as a whole.
type Problem struct {
	Class    delivery.Class
	Provider string
	Reason   string
}

// Prepare stores the spec, clears a stop flag left by an earlier run of the
// same campaign id, and counts the audience per provider. A dry run also
// sends every language variant validate-only to one device per provider.
func (a *Activities) Prepare(ctx context.Context, in PrepareInput) (PrepareResult, error) {
	hash, err := a.specs.save(ctx, &in.Spec)
	if err != nil {
		return PrepareResult{}, err
	}
	if err := a.gate.SetStop(ctx, in.Spec.CampaignID, ""); err != nil {
		return PrepareResult{}, err
	}
	counts, err := a.registry.CountByProvider(ctx, in.Spec.RegistryFilter())
	if err != nil {
		return PrepareResult{}, err
	}
	res := PrepareResult{SpecHash: hash, Audience: counts}
	if in.Spec.DryRun {
		res.Problems, err = a.validateOnly(ctx, &in.Spec)
	}
	return res, err
}

// validateOnly sends each variant of the message validate-only (FCM's
// validate_only; APNs' local checks) to the first device of each provider.
func (a *Activities) validateOnly(ctx context.Context, s *Spec) ([]Problem, error) {
	locales := append([]string{""}, sortedKeys(s.Message.Localized)...)
	var problems []Problem
	for _, provider := range []string{registry.ProviderFCM, registry.ProviderAPNs} {
		f := s.RegistryFilter()
		f.Providers = []string{provider}
		first, err := a.registry.Page(ctx, f, 0, 1)
		if err != nil || len(first) == 0 {
			if err != nil {
				return nil, err
			}
			continue
		}
		msgs := make([]delivery.Message, len(locales))
		for i, l := range locales {
			msgs[i] = s.DeliveryMessage(first[0].Token, l)
			msgs[i].ValidateOnly = true
		}
		results, err := a.senders[provider].Send(ctx, msgs)
		if err != nil {
			return nil, err
		}
		for _, r := range results {
			if delivery.CampaignPolicy.Act(r.Class).Stop != "" {
				problems = append(problems, Problem{Class: r.Class, Provider: provider, Reason: r.Reason})
			}
		}
	}
	return problems, nil
}

// PlanInput asks for the next page boundaries of a pass.
type PlanInput struct {
	CampaignID string
	SpecHash   string
	Pass       string
	After      int64
	PageSize   int
	Pages      int
	Cutoff     time.Time // PassDeferred: deferrals due by then
}

// Plan returns the last device id of each of the next (up to) Pages pages
// after After. Fewer than Pages boundaries means the pass is fully planned.
// It reads the registry (or the ledger) by keyset, never OFFSET.
func (a *Activities) Plan(ctx context.Context, in PlanInput) ([]int64, error) {
	if in.Pass == PassDeferred {
		return a.ledger.DeferredBoundaries(ctx, in.CampaignID, in.Cutoff, in.After, in.PageSize, in.Pages)
	}
	spec, err := a.spec(ctx, in.CampaignID, in.SpecHash)
	if err != nil {
		return nil, err
	}
	f := spec.RegistryFilter()
	var out []int64
	for after := in.After; len(out) < in.Pages; {
		page, err := a.registry.Page(ctx, f, after, in.PageSize)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		after = page[len(page)-1].ID
		out = append(out, after)
		if len(page) < in.PageSize {
			break
		}
	}
	return out, nil
}

// StopInput raises (Reason set) or clears (empty) a campaign's stop flag.
type StopInput struct {
	CampaignID string
	Reason     string
}

// Stop sets or clears the stop flag every page checks before each provider
// call.
func (a *Activities) Stop(ctx context.Context, in StopInput) error {
	return a.gate.SetStop(ctx, in.CampaignID, in.Reason)
}

// TallyResult is the whole campaign as the ledger tells it.
type TallyResult struct {
	Counts       Counts
	NextDeferral time.Time // earliest end of quiet hours among deferrals
	// Retrying rows no retry page is known to hold (a page attempt that
	// failed after handing them off); NextRetry is the earliest due.
	Retrying  int64     `json:",omitempty"`
	NextRetry time.Time `json:",omitempty"`
}

// Tally counts the campaign's ledger: the exact figures at the end of a pass.
func (a *Activities) Tally(ctx context.Context, campaignID string) (TallyResult, error) {
	return a.ledger.Tally(ctx, campaignID)
}

// spec loads the campaign's stored message; a changed one is fatal for the
// page (retrying cannot help).
func (a *Activities) spec(ctx context.Context, campaignID, hash string) (*Spec, error) {
	s, err := a.specs.load(ctx, campaignID, hash)
	if err == ErrSpecChanged {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "SpecChanged", nil)
	}
	return s, err
}
