package fcmsim

import (
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/imshift/imshift/testbed/simulator/persecond"
)

// Counters is a snapshot of what the simulator has answered since the last
// Reset. Per-token counts are not in it (at a million tokens it would be
// huge); ask Delivered for one token.
type Counters struct {
	// Requests is every send request that reached the handler.
	Requests int64 `json:"requests"`
	// Sent counts successful deliveries (validate_only excluded).
	Sent int64 `json:"sent"`
	// Validated counts successful validate_only requests.
	Validated int64 `json:"validated"`
	// Errors counts error answers by FCM error code, or by canonical
	// status when the error has no FCM code (UNAUTHENTICATED, NOT_FOUND...).
	Errors map[string]int64 `json:"errors"`
	// Tokens is how many distinct tokens have at least one delivery.
	Tokens int `json:"tokens"`
	// AccessTokens counts OAuth2 access tokens issued by /token.
	AccessTokens int64 `json:"access_tokens"`
}

const shardCount = 64

// tokenCounts is a sharded map of deliveries per token, so a million tokens
// cost one map entry each and concurrent senders rarely share a lock.
type tokenCounts struct {
	seed   maphash.Seed
	shards [shardCount]struct {
		mu sync.Mutex
		m  map[string]int32
	}
}

func newTokenCounts() *tokenCounts {
	c := &tokenCounts{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[string]int32)
	}
	return c
}

func (c *tokenCounts) add(token string) {
	s := &c.shards[maphash.String(c.seed, token)%shardCount]
	s.mu.Lock()
	s.m[token]++
	s.mu.Unlock()
}

func (c *tokenCounts) get(token string) int {
	s := &c.shards[maphash.String(c.seed, token)%shardCount]
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.m[token])
}

func (c *tokenCounts) distinct() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// stats is the live counter set behind Counters.
type stats struct {
	requests, sent, validated, accessTokens atomic.Int64
	tokens                                  *tokenCounts
	perSecond                               persecond.Counter

	mu     sync.Mutex
	errors map[string]int64
}

func newStats() *stats {
	return &stats{tokens: newTokenCounts(), errors: make(map[string]int64)}
}

func (s *stats) addError(key string) {
	s.mu.Lock()
	s.errors[key]++
	s.mu.Unlock()
}

func (s *stats) snapshot() Counters {
	c := Counters{
		Requests:     s.requests.Load(),
		Sent:         s.sent.Load(),
		Validated:    s.validated.Load(),
		AccessTokens: s.accessTokens.Load(),
		Tokens:       s.tokens.distinct(),
		Errors:       make(map[string]int64),
	}
	s.mu.Lock()
	for k, v := range s.errors {
		c.Errors[k] = v
	}
	s.mu.Unlock()
	return c
}
