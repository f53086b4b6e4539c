package apnssim

import (
	"encoding/hex"
	"errors"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imshift/imshift/testbed/simulator/persecond"
)

// Fault is a canned APNs answer the simulator gives instead of 200.
type Fault struct {
	Status int    // HTTP status, e.g. 410; 0 in SetTokenFault clears the token's fault
	Reason string // APNs reason string, e.g. "Unregistered"
	// Remaining is how many more times the fault fires; 0 means forever.
	Remaining int
	// RetryAfter, when set, is sent as a Retry-After header in whole
	// seconds. Apple itself never sends one; this lets a test check that a
	// sender honours it.
	RetryAfter time.Duration
}

// shardCount spreads a million tokens over enough locks that 500 concurrent
// streams rarely meet on one.
const shardCount = 64

// tokenKey is a device token decoded from its 64 hex digits: half the bytes
// of the string and no pointer for the garbage collector to chase.
type tokenKey [32]byte

// tokenCount is what the simulator remembers per device token.
type tokenCount struct {
	delivered int32
	attempts  int32
}

// outcome is one row of the totals: status and reason of an answer.
type outcome struct {
	status int
	reason string
}

// faultState is a token fault with its own countdown.
type faultState struct {
	fault Fault
	left  int // remaining firings; meaningless when fault.Remaining == 0
}

// shard holds the counters, totals and faults of the tokens hashing to it, so
// one lock per request covers the fault check and the bookkeeping.
type shard struct {
	mu     sync.Mutex
	tokens map[tokenKey]tokenCount
	faults map[tokenKey]*faultState
	totals map[outcome]int64
}

// RateRule makes request n (counted from 1 over every valid push) answer
// Fault when n % EveryNth == Phase and the token has no fault of its own.
// Several rules with the same EveryNth and different phases mix faults
// deterministically: {5, 0, 429} and {5, 1, 503} fail 20 % each.
type RateRule struct {
	EveryNth int
	Phase    int
	Fault    Fault
}

// rateFault is a RateRule with its countdown.
type rateFault struct {
	RateRule
	left    atomic.Int64
	limited bool
}

// rateFaults are the installed rules and the request count they share.
type rateFaults struct {
	seen  atomic.Uint64
	rules []*rateFault
}

// state is the mutable side of a Server.
type state struct {
	seed   maphash.Seed
	shards [shardCount]shard
	rate   atomic.Pointer[rateFaults]
	// perSecond counts deliveries by the second they were answered.
	perSecond atomic.Pointer[persecond.Counter]
}

var errBadToken = errors.New("apnssim: device token must be 64 hex digits")

func newState() *state {
	s := &state{seed: maphash.MakeSeed()}
	s.reset()
	return s
}

func (sh *shard) reset() {
	sh.tokens = make(map[tokenKey]tokenCount)
	sh.faults = make(map[tokenKey]*faultState)
	sh.totals = make(map[outcome]int64)
}

// parseToken decodes a device token; ok is false unless it is 64 hex digits.
func parseToken(token string) (k tokenKey, ok bool) {
	if len(token) != 2*len(k) {
		return k, false
	}
	_, err := hex.Decode(k[:], []byte(token))
	return k, err == nil
}

func (s *state) shardOf(token string) *shard {
	return &s.shards[maphash.String(s.seed, token)%shardCount]
}

// record counts an answer that did not reach the per-token stage (bad auth,
// bad headers, bad token).
func (s *state) record(token string, status int, reason string) {
	sh := s.shardOf(token)
	sh.mu.Lock()
	sh.totals[outcome{status, reason}]++
	sh.mu.Unlock()
}

// decide picks the answer for a valid request to token k: its token fault,
// else the rate fault, else success; and counts it.
func (s *state) decide(token string, k tokenKey) (Fault, bool) {
	sh := s.shardOf(token)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	f, faulted := sh.takeFault(k)
	if !faulted {
		f, faulted = s.takeRate()
	}
	c := sh.tokens[k]
	c.attempts++
	if faulted {
		sh.totals[outcome{f.Status, f.Reason}]++
	} else {
		c.delivered++
		sh.totals[outcome{200, ""}]++
		s.perSecond.Load().Add(time.Now())
	}
	sh.tokens[k] = c
	return f, faulted
}

// takeFault consumes one firing of k's fault, if it has one.
func (sh *shard) takeFault(k tokenKey) (Fault, bool) {
	fs := sh.faults[k]
	if fs == nil {
		return Fault{}, false
	}
	if fs.fault.Remaining > 0 {
		fs.left--
		if fs.left == 0 {
			delete(sh.faults, k)
		}
	}
	return fs.fault, true
}

// takeRate counts the request against the rate fault and reports whether it
// is the Nth.
func (s *state) takeRate() (Fault, bool) {
	rfs := s.rate.Load()
	if rfs == nil {
		return Fault{}, false
	}
	n := rfs.seen.Add(1)
	for _, rf := range rfs.rules {
		if n%uint64(rf.EveryNth) != uint64(rf.Phase) {
			continue
		}
		if rf.limited && rf.left.Add(-1) < 0 {
			return Fault{}, false
		}
		return rf.Fault, true
	}
	return Fault{}, false
}

func (s *state) setTokenFault(token string, f Fault) error {
	k, ok := parseToken(token)
	if !ok {
		return errBadToken
	}
	sh := s.shardOf(token)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if f.Status == 0 {
		delete(sh.faults, k)
		return nil
	}
	sh.faults[k] = &faultState{fault: f, left: f.Remaining}
	return nil
}

func (s *state) setRateFaults(rules []RateRule) error {
	rfs := &rateFaults{}
	for _, r := range rules {
		if r.EveryNth <= 0 || r.Phase < 0 || r.Phase >= r.EveryNth || r.Fault.Status == 0 {
			return errors.New("apnssim: a rate rule needs every_nth > 0, 0 <= phase < every_nth and a status")
		}
		rf := &rateFault{RateRule: r, limited: r.Fault.Remaining > 0}
		rf.left.Store(int64(r.Fault.Remaining))
		rfs.rules = append(rfs.rules, rf)
	}
	if len(rfs.rules) == 0 {
		rfs = nil
	}
	s.rate.Store(rfs)
	return nil
}

// counts returns how often token was answered 200 and how often it was
// answered at all past validation.
func (s *state) counts(token string) (delivered, attempts int) {
	k, ok := parseToken(token)
	if !ok {
		return 0, 0
	}
	sh := s.shardOf(token)
	sh.mu.Lock()
	c := sh.tokens[k]
	sh.mu.Unlock()
	return int(c.delivered), int(c.attempts)
}

func (s *state) reset() {
	s.rate.Store(nil)
	s.perSecond.Store(&persecond.Counter{})
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.reset()
		sh.mu.Unlock()
	}
}

// Counters are the simulator's totals since start or the last Reset.
type Counters struct {
	Requests  int64 `json:"requests"`
	Delivered int64 `json:"delivered"`
	// Tokens is how many distinct tokens have at least one delivery.
	Tokens   int              `json:"tokens"`
	ByStatus map[int]int64    `json:"by_status"`
	ByReason map[string]int64 `json:"by_reason"` // non-200 answers only
}

func (s *state) counters() Counters {
	c := Counters{ByStatus: map[int]int64{}, ByReason: map[string]int64{}}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for o, n := range sh.totals {
			c.Requests += n
			c.ByStatus[o.status] += n
			if o.status == 200 {
				c.Delivered += n
			} else {
				c.ByReason[o.reason] += n
			}
		}
		for _, tc := range sh.tokens {
			if tc.delivered > 0 {
				c.Tokens++
			}
		}
		sh.mu.Unlock()
	}
	return c
}
