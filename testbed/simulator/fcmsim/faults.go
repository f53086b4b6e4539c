package fcmsim

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Fault makes the simulator answer with an FCM error instead of delivering.
// Status is one of the error constants (UNREGISTERED, QUOTA_EXCEEDED, ...).
// Remaining is how many requests it still answers; 0 means forever.
// RetryAfter, when positive, is sent as a Retry-After header in seconds.
//
// In JSON RetryAfter is a Go duration string:
// {"status":"QUOTA_EXCEEDED","remaining":2,"retry_after":"30s"}.
type Fault struct {
	Status     string
	Remaining  int
	RetryAfter time.Duration
}

type faultJSON struct {
	Status     string `json:"status"`
	Remaining  int    `json:"remaining,omitempty"`
	RetryAfter string `json:"retry_after,omitempty"`
}

// MarshalJSON writes RetryAfter as a duration string.
func (f Fault) MarshalJSON() ([]byte, error) {
	j := faultJSON{Status: f.Status, Remaining: f.Remaining}
	if f.RetryAfter > 0 {
		j.RetryAfter = f.RetryAfter.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads RetryAfter from a duration string such as "30s".
func (f *Fault) UnmarshalJSON(b []byte) error {
	var j faultJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*f = Fault{Status: j.Status, Remaining: j.Remaining}
	if j.RetryAfter == "" {
		return nil
	}
	d, err := time.ParseDuration(j.RetryAfter)
	if err != nil {
		return fmt.Errorf("retry_after: %w", err)
	}
	f.RetryAfter = d
	return nil
}

func (f Fault) validate() error {
	if _, ok := faultErrors[f.Status]; !ok {
		return fmt.Errorf("fcmsim: unknown fault status %q", f.Status)
	}
	if f.Remaining < 0 {
		return fmt.Errorf("fcmsim: negative remaining %d", f.Remaining)
	}
	return nil
}

// RateRule makes request n (counted from 1 over every send) answer Fault
// when n % EveryNth == Phase and the token has no fault of its own. Several rules with
// the same EveryNth and different phases mix faults deterministically:
// {5, 0, QUOTA_EXCEEDED} and {5, 1, UNAVAILABLE} fail 20 % each.
type RateRule struct {
	EveryNth int   `json:"every_nth"`
	Phase    int   `json:"phase,omitempty"`
	Fault    Fault `json:"fault"`
}

// faults holds the per-token and rate faults. active counts installed
// faults so the hot path skips the mutex when there are none.
type faults struct {
	active atomic.Int32
	mu     sync.Mutex
	tokens map[string]*Fault
	rates  []RateRule
	seen   uint64 // requests counted for the rate rules
}

func (fs *faults) setToken(token string, f Fault) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.tokens == nil {
		fs.tokens = make(map[string]*Fault)
	}
	fs.tokens[token] = &f
	fs.recount()
}

func (fs *faults) setRates(rules []RateRule) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.rates, fs.seen = rules, 0
	fs.recount()
}

func (fs *faults) reset() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.tokens, fs.rates, fs.seen = nil, nil, 0
	fs.recount()
}

// recount must be called with mu held.
func (fs *faults) recount() {
	fs.active.Store(int32(len(fs.tokens) + len(fs.rates)))
}

// next returns the fault that answers this request, if any. A token fault
// wins over the rate rules; the rate counter advances on every request
// that gets here, so "every Nth" is exact and needs no randomness.
func (fs *faults) next(token string) (Fault, bool) {
	if fs.active.Load() == 0 {
		return Fault{}, false
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.rates) > 0 {
		fs.seen++
	}
	n := fs.seen
	if f, ok := fs.tokens[token]; ok {
		if consume(f) {
			delete(fs.tokens, token)
			fs.recount()
		}
		return *f, true
	}
	for i := range fs.rates {
		r := &fs.rates[i]
		if n%uint64(r.EveryNth) != uint64(r.Phase) {
			continue
		}
		f := r.Fault
		if consume(&r.Fault) {
			fs.rates = append(fs.rates[:i:i], fs.rates[i+1:]...)
			fs.recount()
		}
		return f, true
	}
	return Fault{}, false
}

// consume uses up one answer of a limited fault and reports whether it is
// now spent. Unlimited faults (Remaining 0) are never spent.
func consume(f *Fault) bool {
	if f.Remaining == 0 {
		return false
	}
	f.Remaining--
	return f.Remaining == 0
}
