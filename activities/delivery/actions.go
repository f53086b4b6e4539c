package delivery

// Ledger outcomes (imshift.push_ledger.outcome). Sent, pruned, failed and
// skipped are final: a row that says so is never changed again.
const (
	OutcomeSent     = "sent"
	OutcomePruned   = "pruned"
	OutcomeFailed   = "failed"
	OutcomeDeferred = "deferred"
	OutcomeRetrying = "retrying"
	OutcomeSkipped  = "skipped"
)

// Scope is what a backoff applies to.
type Scope string

const (
	// ScopeNone: nothing waits.
	ScopeNone Scope = ""
	// ScopeToken: only this token waits, with its own exponential backoff
	// (or the provider's Retry-After when longer); other sends go on.
	ScopeToken Scope = "token"
	// ScopeProvider: every send to the provider, from every worker, slows
	// down (Quota cuts the shared adaptive rate; ProviderThrottled holds the
	// provider for its Retry-After).
	ScopeProvider Scope = "provider"
	// ScopeOperator: retrying cannot help; a person has to act.
	ScopeOperator Scope = "operator"
)

// Action is what a class means for the caller: the one table both push
// workflows use. The workflows differ only in Policy.
type Action struct {
	// Outcome is the ledger outcome once the answer is final; "" for a
	// retryable answer (the row says retrying until it ends) and for
	// refused credentials under a policy that pauses.
	Outcome string
	// Retry: send to this token again later.
	Retry bool
	// Prune: invalidate the device in the registry.
	Prune bool
	// Backoff is who waits before the next send.
	Backoff Scope
	// CutRate: cut the provider's adaptive rate (shared through Redis).
	CutRate bool
	// HoldProvider: hold every send to the provider for the Retry-After.
	HoldProvider bool
	// Stop is what the whole send does: "" (go on), StopPause (wait for an
	// operator, nothing lost) or StopFail (end now).
	Stop string
}

// What a whole send does when an answer concerns all of it.
const (
	StopPause = "pause"
	StopFail  = "fail"
)

// actions is the table from class to action, before policy.
var actions = map[Class]Action{
	Sent:              {Outcome: OutcomeSent},
	DeadToken:         {Outcome: OutcomePruned, Prune: true},
	BadMessage:        {Outcome: OutcomeFailed, Backoff: ScopeOperator, Stop: StopFail},
	Credentials:       {Outcome: OutcomeFailed, Backoff: ScopeOperator, Stop: StopFail},
	Throttled:         {Retry: true, Backoff: ScopeToken},
	Transient:         {Retry: true, Backoff: ScopeToken},
	Quota:             {Retry: true, Backoff: ScopeProvider, CutRate: true},
	ProviderThrottled: {Retry: true, Backoff: ScopeProvider, HoldProvider: true},
}

// Policy is where SendPush and campaigns differ.
type Policy struct {
	// PauseOnCredentials: refused credentials pause the whole send and
	// leave the device untouched, to be sent after an operator resumes
	// (campaigns); otherwise the device fails and so does the send
	// (SendPush, whose TTL is too short to wait for a person).
	PauseOnCredentials bool
}

// Campaign and SendPush policies.
var (
	CampaignPolicy = Policy{PauseOnCredentials: true}
	SendPushPolicy = Policy{}
)

// Act is the action for class under the policy. An unknown class is
// treated as transient: retried, never lost.
func (p Policy) Act(c Class) Action {
	a, ok := actions[c]
	if !ok {
		a = actions[Transient]
	}
	if c == Credentials && p.PauseOnCredentials {
		a.Outcome, a.Stop = "", StopPause
	}
	return a
}

// Retryable reports whether an answer of class c may be sent again.
func Retryable(c Class) bool { return actions[c].Retry }

// Final reports whether a ledger outcome is never changed again.
func Final(outcome string) bool {
	return outcome != OutcomeRetrying && outcome != OutcomeDeferred
}
