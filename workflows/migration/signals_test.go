package migration

import (
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	migact "github.com/imshift/imshift/activities/migration"
)

// scenario brings a run into a state at `at` into the run.
type scenario struct {
	state State
	at    time.Duration
	plan  func() Plan
	setup func(h *harness)
	// handledIn is the state a signal is judged in: a routing flip in
	// flight (rolling_back) and a dry run hold signals until they end.
	handledIn State
	// skip is the number of events after `at` that are not the signal's
	// doing (the flip that ends rolling_back).
	skip int
}

func scenarios() []scenario {
	failing := func(h *harness) { h.w.analyze = func(int) (migact.AnalyzeResult, error) { return stuck(), nil } }
	return []scenario{
		{state: StateProvisioning, at: 10 * time.Minute, plan: basePlan, setup: func(h *harness) {
			h.delay(migact.ProvisionStepName, time.Hour, h.w.provision)
		}},
		{state: StateBaking, at: 5 * time.Minute, plan: basePlan},
		{state: StateAwaitingApproval, at: 35 * time.Minute, plan: func() Plan {
			p := basePlan()
			p.Steps[0].Approval = true
			return p
		}},
		{state: StatePaused, at: 15 * time.Minute, plan: basePlan, setup: func(h *harness) {
			h.signalAt(5*time.Minute, SignalPause, PauseSignal{Reason: "look at dashboards"})
		}},
		// Three failed analyses (failureLimit 2) roll back at 30m.
		{state: StateRolledBack, at: 35 * time.Minute, plan: basePlan, setup: failing},
		{state: StateRollingBack, at: 35 * time.Minute, plan: basePlan, handledIn: StateRolledBack, skip: 1, setup: func(h *harness) {
			failing(h)
			h.delay(migact.FlipRoutingName, time.Hour, h.w.flip, mock.MatchedBy(func(in migact.FlipInput) bool { return in.Percent == 0 }))
		}},
		{state: StateDecommissioning, at: 15 * time.Minute, plan: func() Plan {
			p := basePlan()
			p.Steps = []Step{{Percent: 100, Bake: "10m"}}
			return p
		}, setup: func(h *harness) {
			h.delay(migact.DeletePresenceKeysName, time.Hour, h.w.deletePresence)
		}},
		{state: StateValidating, at: 5 * time.Minute, handledIn: StateCompleted, plan: func() Plan {
			p := basePlan()
			p.DryRun = true
			return p
		}, setup: func(h *harness) {
			h.delay(migact.CohortSizesName, time.Hour, h.w.cohortSizes)
		}},
	}
}

type testVerb struct {
	name    string
	payload any
}

var testVerbs = []testVerb{
	{SignalPause, PauseSignal{Reason: "incident"}},
	{SignalResume, nil},
	{SignalPromote, PromoteSignal{}},
	{SignalPromote, PromoteSignal{Full: true}},
	{SignalAbort, AbortSignal{Reason: "rollback everything"}},
	{SignalRetry, nil},
}

func (v testVerb) label() string {
	if p, ok := v.payload.(PromoteSignal); ok && p.Full {
		return "promote_full"
	}
	return v.name
}

// accepted says what every verb leads to in every state: the next state, or
// "" for rejected.
var accepted = map[State]map[string]State{
	StateProvisioning:     {"pause": StatePaused, "promote_full": StateProvisioning, "abort": StateRollingBack},
	StateBaking:           {"pause": StatePaused, "promote": StateProvisioning, "promote_full": StateProvisioning, "abort": StateRollingBack},
	StateAwaitingApproval: {"pause": StatePaused, "promote": StateProvisioning, "promote_full": StateProvisioning, "abort": StateRollingBack},
	StatePaused:           {"resume": StateBaking, "abort": StateRollingBack},
	StateRolledBack:       {"abort": StateRollingBack, "retry": StateProvisioning},
	StateRollingBack:      {"abort": StateRollingBack, "retry": StateProvisioning},
	StateDecommissioning:  {"abort": StateRollingBack},
	StateValidating:       {},
}

// TestEverySignalInEveryState sends each verb in each state and checks it is
// either applied (the next state is the expected one) or rejected (recorded,
// nothing changes).
func TestEverySignalInEveryState(t *testing.T) {
	for _, sc := range scenarios() {
		for _, v := range testVerbs {
			t.Run(string(sc.state)+"/"+v.label(), func(t *testing.T) {
				h := newHarness(t)
				if sc.setup != nil {
					sc.setup(h)
				}
				var before Status
				h.at(sc.at-time.Second, func() { before = h.status() })
				h.signalAt(sc.at, v.name, v.payload)
				h.at(sc.at+3*time.Hour, func() {
					if !h.status().State.Terminal() {
						h.env.SignalWorkflow(SignalAbort, AbortSignal{Reason: "end of test"})
					}
				})
				st := h.run(sc.plan())
				if before.State != sc.state {
					t.Fatalf("scenario reached %s, not %s", before.State, sc.state)
				}
				judgedIn := sc.state
				if sc.handledIn != "" {
					judgedIn = sc.handledIn
				}
				want, ok := accepted[sc.state][v.label()]
				events := eventsFrom(st, sc.at)
				if len(events) > sc.skip {
					events = events[sc.skip:]
				} else {
					events = nil
				}
				if !ok {
					if len(st.RejectedSignals) == 0 {
						t.Fatalf("%s in %s was not rejected", v.label(), sc.state)
					}
					r := st.RejectedSignals[0]
					if r.Name != v.name || r.State != judgedIn || r.Reason == "" {
						t.Fatalf("rejection %+v", r)
					}
					if len(events) > 0 && events[0].At.Equal(st.StartedAt.Add(sc.at)) {
						t.Fatalf("a rejected %s changed the state: %+v", v.label(), events[0])
					}
					return
				}
				if len(st.RejectedSignals) != 0 {
					t.Fatalf("%s in %s rejected: %+v", v.label(), sc.state, st.RejectedSignals)
				}
				if len(events) == 0 || events[0].State != want {
					t.Fatalf("%s in %s: events after it %+v, want first %s", v.label(), sc.state, events, want)
				}
			})
		}
	}
}
