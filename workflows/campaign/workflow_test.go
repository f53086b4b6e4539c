package campaign_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	campaignact "github.com/imshift/imshift/activities/campaign"
	"github.com/imshift/imshift/activities/delivery"
	notifyact "github.com/imshift/imshift/activities/notify"
	"github.com/imshift/imshift/activities/ownership"
	"github.com/imshift/imshift/workflows"
	"github.com/imshift/imshift/workflows/campaign"
	"github.com/imshift/imshift/workflows/notify"
)

// These tests drive the workflow's state logic in the test suite, with the
// campaign activities replaced by an in-memory audience of device ids 1..n.
// The end-to-end tests (campaign_e2e_test.go) run the real activities.

var smallTuning = campaign.Tuning{PageSize: 10, Window: 2, PlanPages: 2, PagesPerRun: 100}

// audience stands in for the registry and the ledger.
type audience struct {
	mu       sync.Mutex
	n        int64
	sent     map[int64]bool
	deferred map[int64]bool
	stops    []string // stop flag values in order
	notices  []notifyact.Event
	released []string // final states released, in order
	// page, when set, decides a main-pass page's result instead.
	page func(in campaignact.PageInput) (campaignact.PageResult, bool)
}

func newAudience(n int64) *audience {
	return &audience{n: n, sent: map[int64]bool{}, deferred: map[int64]bool{}}
}

func (a *audience) prepare(_ context.Context, in campaignact.PrepareInput) (campaignact.PrepareResult, error) {
	if a.n == 0 {
		return campaignact.PrepareResult{SpecHash: "h", Audience: map[string]int64{}}, nil
	}
	return campaignact.PrepareResult{SpecHash: "h", Audience: map[string]int64{"fcm": a.n}}, nil
}

func (a *audience) plan(_ context.Context, in campaignact.PlanInput) ([]int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []int64
	for after := in.After; len(out) < in.Pages; {
		var ids []int64
		for id := after + 1; id <= a.n && len(ids) < in.PageSize; id++ {
			if in.Pass == campaignact.PassMain || a.deferred[id] {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			break
		}
		after = ids[len(ids)-1]
		out = append(out, after)
	}
	return out, nil
}

func (a *audience) sendPage(_ context.Context, in campaignact.PageInput) (campaignact.PageResult, error) {
	if a.page != nil && in.Pass == campaignact.PassMain {
		if res, ok := a.page(in); ok {
			return res, nil
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var res campaignact.PageResult
	for id := in.After + 1; id <= in.Upto; id++ {
		if in.Pass == campaignact.PassDeferred {
			if a.deferred[id] {
				delete(a.deferred, id)
				a.sent[id] = true
				res.Counts.Sent++
				res.Undeferred++
				res.Pushes++
			}
			continue
		}
		if !a.sent[id] && !a.deferred[id] {
			a.sent[id] = true
			res.Pushes++
		}
	}
	if in.Pass == campaignact.PassMain {
		res.Counts = a.tallyLocked(in.After, in.Upto)
	}
	return res, nil
}

func (a *audience) tallyLocked(after, upto int64) campaignact.Counts {
	var c campaignact.Counts
	for id := after + 1; id <= upto; id++ {
		switch {
		case a.sent[id]:
			c.Sent++
		case a.deferred[id]:
			c.Deferred++
		}
	}
	return c
}

// liveTally reads the in-memory ledger as the progress refresh does.
func (a *audience) liveTally(ctx context.Context, in campaignact.LiveInput) (campaignact.LiveResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	res := campaignact.LiveResult{At: time.Now()}
	if in.Pass == campaignact.PassDeferred {
		c := a.tallyLocked(0, a.n)
		res.Whole = &c
	}
	for _, r := range in.Ranges {
		res.Ranges = append(res.Ranges, a.tallyLocked(r.After, r.Upto))
	}
	return res, nil
}

func (a *audience) stop(_ context.Context, in campaignact.StopInput) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stops = append(a.stops, in.Reason)
	return nil
}

func (a *audience) tally(_ context.Context, _ string) (campaignact.TallyResult, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	res := campaignact.TallyResult{Counts: a.tallyLocked(0, a.n)}
	if res.Counts.Deferred > 0 {
		res.NextDeferral = time.Date(2030, 1, 1, 8, 0, 0, 0, time.UTC)
	}
	return res, nil
}

// notification stands in for the Notification child: it records the event
// (workflows/notify's tests post it to real receivers).
func (a *audience) notification(_ workflow.Context, e notifyact.Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.notices = append(a.notices, e)
	return nil
}

// transitions are the notified changes as "previous>state".
func (a *audience) transitions() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, e := range a.notices {
		out = append(out, e.PreviousState+">"+e.State)
	}
	return out
}

// release records the state a run released the campaign in.
func (a *audience) release(_ context.Context, in ownership.ReleaseInput) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.released = append(a.released, in.FinalState)
	return nil
}

func (a *audience) stopFlags() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.stops...)
}

// suiteEnv registers PushCampaign with small pages on a test environment
// whose activities are a's. Pages take a second of test time each.
func suiteEnv(t *testing.T, a *audience, tuning campaign.Tuning) *testsuite.TestWorkflowEnvironment {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	campaign.Register(env, campaignact.New(campaignact.Config{}), tuning)
	ownership.New(nil, nil).Register(env)
	env.RegisterWorkflowWithOptions(a.notification, workflow.RegisterOptions{Name: notify.WorkflowName})
	env.OnActivity(campaignact.PrepareName, mock.Anything, mock.Anything).Return(a.prepare)
	env.OnActivity(campaignact.PlanName, mock.Anything, mock.Anything).Return(a.plan)
	env.OnActivity(campaignact.SendPageName, mock.Anything, mock.Anything).After(time.Second).Return(a.sendPage)
	env.OnActivity(campaignact.StopName, mock.Anything, mock.Anything).Return(a.stop)
	env.OnActivity(campaignact.TallyName, mock.Anything, mock.Anything).Return(a.tally)
	env.OnActivity(campaignact.LiveTallyName, mock.Anything, mock.Anything).Return(a.liveTally)
	// Run ownership is tested on PostgreSQL (activities/ownership, the e2e
	// tests); here every claim is granted and every release recorded.
	env.OnActivity(ownership.ClaimName, mock.Anything, mock.Anything).Return(ownership.ClaimResult{}, nil)
	env.OnActivity(ownership.ReleaseName, mock.Anything, mock.Anything).Return(a.release)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: campaign.CampaignWorkflowID(testCampaign().CampaignID)})
	return env
}

func testCampaign() campaign.Campaign {
	return campaign.Campaign{Spec: campaignact.Spec{
		CampaignID: "unit", Category: "marketing", Audience: campaignact.Audience{All: true},
		Message: campaignact.Message{Title: "t", Body: "b"},
	}}
}

func queryProgress(t *testing.T, env *testsuite.TestWorkflowEnvironment) campaign.Progress {
	t.Helper()
	v, err := env.QueryWorkflow(campaign.QueryProgress)
	if err != nil {
		t.Fatalf("progress query: %v", err)
	}
	var p campaign.Progress
	if err := v.Get(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

func result(t *testing.T, env *testsuite.TestWorkflowEnvironment) campaign.Progress {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow failed: %v", err)
	}
	var p campaign.Progress
	if err := env.GetWorkflowResult(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCampaignSendsEveryPage(t *testing.T) {
	a := newAudience(35)
	env := suiteEnv(t, a, smallTuning)
	env.ExecuteWorkflow(campaign.PushCampaignName, testCampaign())
	p := result(t, env)
	if p.State != campaign.CampaignCompleted || p.Targeted != 35 || p.Sent != 35 || p.Remaining != 0 {
		t.Errorf("progress = %+v", p)
	}
	if len(a.sent) != 35 {
		t.Errorf("%d devices sent, want 35", len(a.sent))
	}
}

func TestCampaignPauseResume(t *testing.T) {
	a := newAudience(100)
	env := suiteEnv(t, a, smallTuning)
	var paused, resumed campaign.Progress
	var sentAtPause int
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(campaign.SignalPause, nil) }, 2500*time.Millisecond)
	env.RegisterDelayedCallback(func() {
		paused = queryProgress(t, env)
		a.mu.Lock()
		sentAtPause = len(a.sent)
		a.mu.Unlock()
	}, time.Hour)
	env.RegisterDelayedCallback(func() {
		a.mu.Lock()
		moved := len(a.sent) != sentAtPause
		a.mu.Unlock()
		if moved {
			t.Error("pages were sent while paused")
		}
		env.SignalWorkflow(campaign.SignalResume, nil)
	}, 2*time.Hour)
	env.RegisterDelayedCallback(func() { resumed = queryProgress(t, env) }, 2*time.Hour+time.Millisecond)
	env.ExecuteWorkflow(campaign.PushCampaignName, testCampaign())
	p := result(t, env)
	if paused.State != campaign.CampaignPaused || paused.PagesInFlight != 0 || paused.Sent == 0 || paused.Sent == 100 {
		t.Errorf("while paused: %+v", paused)
	}
	if resumed.State != campaign.CampaignRunning {
		t.Errorf("after resume: state %s", resumed.State)
	}
	if p.State != campaign.CampaignCompleted || p.Sent != 100 {
		t.Errorf("result = %+v", p)
	}
	flags := a.stopFlags()
	if len(flags) < 2 || flags[0] != campaignact.StopPaused || flags[1] != "" {
		t.Errorf("stop flags = %q, want paused then cleared", flags)
	}
}

func TestCampaignCancel(t *testing.T) {
	a := newAudience(100)
	env := suiteEnv(t, a, smallTuning)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(campaign.SignalCancel, campaign.CancelRequest{Reason: "wrong audience"})
	}, 1500*time.Millisecond)
	env.ExecuteWorkflow(campaign.PushCampaignName, testCampaign())
	p := result(t, env)
	if p.State != campaign.CampaignCancelled || p.Reason != "wrong audience" || p.Remaining == 0 {
		t.Errorf("result = %+v", p)
	}
	if flags := a.stopFlags(); len(flags) == 0 || flags[0] != campaignact.StopCancelled {
		t.Errorf("stop flags = %q", flags)
	}
}

func TestCampaignPausesItselfOnCredentials(t *testing.T) {
	a := newAudience(30)
	refused := true
	a.page = func(in campaignact.PageInput) (campaignact.PageResult, bool) {
		if !refused {
			return campaignact.PageResult{}, false
		}
		return campaignact.PageResult{Stopped: campaignact.StopPaused, Problem: &campaignact.Problem{
			Class: delivery.Credentials, Provider: "apns", Reason: "InvalidProviderToken"}}, true
	}
	env := suiteEnv(t, a, smallTuning)
	var paused campaign.Progress
	env.RegisterDelayedCallback(func() {
		paused = queryProgress(t, env)
		refused = false
		env.SignalWorkflow(campaign.SignalResume, nil)
	}, time.Hour)
	env.ExecuteWorkflow(campaign.PushCampaignName, testCampaign())
	p := result(t, env)
	if paused.State != campaign.CampaignPaused || paused.Sent != 0 {
		t.Errorf("after refused credentials: %+v", paused)
	}
	if want := "apns refused the campaign: InvalidProviderToken (credentials)"; !strings.HasPrefix(paused.Reason, want) {
		t.Errorf("reason %q does not say why", paused.Reason)
	}
	if p.State != campaign.CampaignCompleted || p.Sent != 30 {
		t.Errorf("after resume: %+v", p)
	}
}

func TestCampaignFailsFastOnBadMessage(t *testing.T) {
	a := newAudience(1000)
	pages := 0
	a.page = func(in campaignact.PageInput) (campaignact.PageResult, bool) {
		pages++
		c := campaignact.Counts{}
		c.AddFailed("bad_message: InvalidArgument", 10)
		return campaignact.PageResult{Counts: c, Stopped: campaignact.StopFailed, Problem: &campaignact.Problem{
			Class: delivery.BadMessage, Provider: "fcm", Reason: "InvalidArgument"}}, true
	}
	env := suiteEnv(t, a, smallTuning)
	env.ExecuteWorkflow(campaign.PushCampaignName, testCampaign())
	err := env.GetWorkflowError()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != workflows.ErrBadMessage || appErr.NonRetryable() != true {
		t.Fatalf("error = %v, want a non-retryable BadMessage", err)
	}
	if pages > smallTuning.Window {
		t.Errorf("%d pages sent after the first bad message, want at most the window (%d)", pages, smallTuning.Window)
	}
	var p campaign.Progress
	if appErr.Details(&p) != nil || p.State != campaign.CampaignFailed {
		t.Errorf("details = %+v", p)
	}
}

func TestCampaignEmptyAudienceCompletesAtOnce(t *testing.T) {
	env := suiteEnv(t, newAudience(0), smallTuning)
	env.ExecuteWorkflow(campaign.PushCampaignName, testCampaign())
	p := result(t, env)
	if p.State != campaign.CampaignCompleted || p.Targeted != 0 {
		t.Errorf("progress = %+v", p)
	}
	env.AssertNotCalled(t, campaignact.SendPageName, mock.Anything, mock.Anything)
}

func TestCampaignRefusesInvalidInputNamingTheField(t *testing.T) {
	env := suiteEnv(t, newAudience(5), smallTuning)
	in := testCampaign()
	in.QuietHours = &campaignact.QuietHours{Start: "25:00", End: "08:00"}
	env.ExecuteWorkflow(campaign.PushCampaignName, in)
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != workflows.ErrInvalidInput {
		t.Fatalf("error = %v", err)
	}
	if !appErr.NonRetryable() || !strings.Contains(appErr.Error(), "quietHours.start") {
		t.Errorf("error %q does not name quietHours.start", appErr.Error())
	}
	env.AssertNotCalled(t, campaignact.PrepareName, mock.Anything, mock.Anything)
}

func TestCampaignDryRunSendsNothing(t *testing.T) {
	env := suiteEnv(t, newAudience(42), smallTuning)
	in := testCampaign()
	in.DryRun = true
	env.ExecuteWorkflow(campaign.PushCampaignName, in)
	p := result(t, env)
	if p.State != campaign.CampaignDryRun || p.Audience["fcm"] != 42 || p.Sent != 0 {
		t.Errorf("progress = %+v", p)
	}
	env.AssertNotCalled(t, campaignact.SendPageName, mock.Anything, mock.Anything)
}

func TestCampaignContinuesAsNewWithCursorAndCounters(t *testing.T) {
	a := newAudience(100)
	tuning := smallTuning
	tuning.PagesPerRun = 3
	env := suiteEnv(t, a, tuning)
	env.ExecuteWorkflow(campaign.PushCampaignName, testCampaign())
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("error = %v, want continue-as-new", err)
	}
	var next campaign.Campaign
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	c := next.Continuation
	if c == nil || c.Counts.Sent != 30 || c.Cursor < 30 || c.SpecHash != "h" || c.State != campaign.CampaignRunning {
		t.Fatalf("continuation = %+v", c)
	}
	if next.CampaignID != "unit" {
		t.Errorf("campaign id %q not carried", next.CampaignID)
	}
	// The next run picks up where the first stopped and finishes.
	env2 := suiteEnv(t, a, smallTuning)
	env2.ExecuteWorkflow(campaign.PushCampaignName, next)
	p := result(t, env2)
	if p.Sent != 100 || p.Runs != 1 || p.State != campaign.CampaignCompleted {
		t.Errorf("second run: %+v", p)
	}
	env2.AssertNotCalled(t, campaignact.PrepareName, mock.Anything, mock.Anything)
}

func TestCampaignWaitsForQuietHoursThenSendsDeferred(t *testing.T) {
	a := newAudience(20)
	a.page = func(in campaignact.PageInput) (campaignact.PageResult, bool) {
		a.mu.Lock()
		defer a.mu.Unlock()
		for id := in.After + 1; id <= in.Upto; id++ {
			if id%4 == 0 {
				a.deferred[id] = true
			} else {
				a.sent[id] = true
			}
		}
		return campaignact.PageResult{Counts: a.tallyLocked(in.After, in.Upto),
			NextDeferral: time.Date(2030, 1, 1, 8, 0, 0, 0, time.UTC)}, true
	}
	env := suiteEnv(t, a, smallTuning)
	var waiting campaign.Progress
	env.RegisterDelayedCallback(func() { waiting = queryProgress(t, env) }, time.Minute)
	env.ExecuteWorkflow(campaign.PushCampaignName, testCampaign())
	p := result(t, env)
	if waiting.State != campaign.CampaignWaiting || waiting.Deferred != 5 || waiting.NextDeferral == nil {
		t.Errorf("while waiting: %+v", waiting)
	}
	if p.State != campaign.CampaignCompleted || p.Sent != 20 || p.Deferred != 0 {
		t.Errorf("result = %+v", p)
	}
}

// A run claims its campaign first thing and releases it in its final state;
// a continued run neither claims again nor forgets that it owns.
func TestCampaignClaimsFirstAndReleasesAtTheEnd(t *testing.T) {
	a := newAudience(100)
	tuning := smallTuning
	tuning.PagesPerRun = 3
	env := suiteEnv(t, a, tuning)
	env.ExecuteWorkflow(campaign.PushCampaignName, testCampaign())
	var can *workflow.ContinueAsNewError
	if err := env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("error = %v, want continue-as-new", err)
	}
	env.AssertNumberOfCalls(t, ownership.ClaimName, 1)
	env.AssertNotCalled(t, ownership.ReleaseName, mock.Anything, mock.Anything)
	var next campaign.Campaign
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.Continuation == nil || !next.Continuation.Owns {
		t.Fatalf("continuation %+v does not carry the claim", next.Continuation)
	}
	env2 := suiteEnv(t, a, smallTuning)
	env2.ExecuteWorkflow(campaign.PushCampaignName, next)
	if p := result(t, env2); p.State != campaign.CampaignCompleted {
		t.Fatalf("second run: %+v", p)
	}
	env2.AssertNotCalled(t, ownership.ClaimName, mock.Anything, mock.Anything)
	if len(a.released) != 1 || a.released[0] != campaign.CampaignCompleted {
		t.Errorf("released %q, want [completed]", a.released)
	}
}

// A refused claim (another run owns the campaign) fails the run before the
// audience is read.
func TestCampaignRefusedClaimReadsNothing(t *testing.T) {
	a := newAudience(10)
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	campaign.Register(env, campaignact.New(campaignact.Config{}), smallTuning)
	ownership.New(nil, nil).Register(env)
	env.OnActivity(ownership.ClaimName, mock.Anything, mock.Anything).Return(ownership.ClaimResult{},
		temporal.NewNonRetryableApplicationError("campaign unit is owned by the live run of workflow campaign-other",
			ownership.ErrAlreadyOwned, nil))
	env.OnActivity(campaignact.PrepareName, mock.Anything, mock.Anything).Return(a.prepare)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "campaign-unit"})
	env.ExecuteWorkflow(campaign.PushCampaignName, testCampaign())
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != ownership.ErrAlreadyOwned ||
		!strings.Contains(err.Error(), "campaign-other") {
		t.Fatalf("error = %v, want AlreadyOwned naming campaign-other", err)
	}
	env.AssertNotCalled(t, campaignact.PrepareName, mock.Anything, mock.Anything)
}

// Bad input in every form the UI or the CLI lets through fails the run at
// once, naming the field (or the expected workflow id), before the claim.
func TestCampaignRefusesInputTheCLILetsThrough(t *testing.T) {
	valid := map[string]any{"campaignId": "unit", "category": "marketing", "audience": map[string]any{"all": true},
		"message": map[string]any{"title": "t", "body": "b"}}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range valid {
			m[k] = v
		}
		m[k] = v
		return m
	}
	for _, c := range []struct {
		name, workflowID string
		input            any
		want             string
	}{
		{"misspelt field", "campaign-unit", with("quietHour", map[string]any{"start": "22:00"}), "quietHour: unknown field"},
		{"wrong type", "campaign-unit", with("ratePerSecond", "10"), "ratePerSecond: must be a number"},
		{"nested wrong type", "campaign-unit", with("audience", map[string]any{"all": "yes"}), "audience.all: must be true or false"},
		{"another workflow id", "my-test", valid, `workflowId: must be "campaign-unit"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := suiteEnv(t, newAudience(5), smallTuning)
			env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: c.workflowID})
			env.ExecuteWorkflow(campaign.PushCampaignName, c.input)
			var appErr *temporal.ApplicationError
			err := env.GetWorkflowError()
			if !errors.As(err, &appErr) || appErr.Type() != workflows.ErrInvalidInput || !appErr.NonRetryable() ||
				!strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want a non-retryable InvalidInput naming %q", err, c.want)
			}
			env.AssertNotCalled(t, ownership.ClaimName, mock.Anything, mock.Anything)
			env.AssertNotCalled(t, campaignact.PrepareName, mock.Anything, mock.Anything)
		})
	}
}

// A signal payload with an unknown field or a wrong type changes nothing and
// is recorded with the field named; a correct one then applies.
func TestCampaignRejectsSignalPayloadsNamingTheField(t *testing.T) {
	a := newAudience(100)
	env := suiteEnv(t, a, smallTuning)
	var during campaign.Progress
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(campaign.SignalCancel, map[string]any{"reasn": "typo"})
		env.SignalWorkflow(campaign.SignalPause, map[string]any{"reason": 7})
		env.SignalWorkflow(campaign.SignalResume, map[string]any{"now": true})
	}, 1500*time.Millisecond)
	env.RegisterDelayedCallback(func() {
		during = queryProgress(t, env)
		env.SignalWorkflow(campaign.SignalCancel, campaign.CancelRequest{Reason: "wrong audience"})
	}, 1600*time.Millisecond)
	env.ExecuteWorkflow(campaign.PushCampaignName, testCampaign())
	p := result(t, env)
	if during.State != campaign.CampaignRunning {
		t.Errorf("state after refused signals = %q, want running", during.State)
	}
	want := []string{"cancel: payload refused: reasn: unknown field", "pause: payload refused: reason: must be a string",
		"resume: payload refused: now: unknown field"}
	var got []string
	for _, r := range during.Rejected {
		got = append(got, r.Name+": "+r.Reason)
	}
	if !slices.Equal(got, want) {
		t.Errorf("rejectedSignals = %q, want %q", got, want)
	}
	if p.State != campaign.CampaignCancelled || p.Reason != "wrong audience" || len(p.Rejected) != 3 {
		t.Errorf("result = %+v", p)
	}
}
