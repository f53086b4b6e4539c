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

// faults holds the per-token and rate faults. active counts installed
// faults so the hot path skips the mutex when there are none.
type faults struct {
	active atomic.Int32
	mu     sync.Mutex
	tokens map[string]*Fault
	rate   *Fault
	every  uint64
	seen   uint64 // requests counted for the rate fault
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

func (fs *faults) setRate(f *Fault, everyNth int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.rate, fs.every, fs.seen = f, uint64(everyNth), 0
	fs.recount()
}

func (fs *faults) reset() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.tokens, fs.rate, fs.every, fs.seen = nil, nil, 0, 0
	fs.recount()
}

// recount must be called with mu held.
func (fs *faults) recount() {
	n := len(fs.tokens)
	if fs.rate != nil {
		n++
	}
	fs.active.Store(int32(n))
}

// next returns the fault that answers this request, if any. A token fault
// wins over the rate fault; the rate counter advances on every request
// that gets here, so "every Nth" is exact and needs no randomness.
func (fs *faults) next(token string) (Fault, bool) {
	if fs.active.Load() == 0 {
		return Fault{}, false
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.rate != nil {
		fs.seen++
	}
	if f, ok := fs.tokens[token]; ok {
		if consume(f) {
			delete(fs.tokens, token)
			fs.recount()
		}
		return *f, true
	}
	if fs.rate != nil && fs.seen%fs.every == 0 {
		f := *fs.rate
		if consume(fs.rate) {
			fs.rate = nil
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
