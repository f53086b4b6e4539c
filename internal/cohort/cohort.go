// Package cohort decides which users are on OpenIM at a rollout percent.
//
// The rule, reproducible in any language (the TypeScript backend uses it):
//
//	bucket(userId) = uint64 big-endian of the first 8 bytes of
//	                 SHA-256("imshift-cohort:" + userId), mod 10000
//	onOpenIM(userId, p) = userId in allow
//	                      || (userId not in deny && bucket(userId) < Threshold(p))
//	Threshold(p) = round(p * 100)      (p in percent, 0..100; 2 decimals)
//
// userId is the legacy user id (before any OpenIM id mapping), as UTF-8.
// Raising p only adds users. testdata/vectors.json holds reference values.
package cohort

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
)

// Buckets is the number of buckets; one bucket is 0.01 %.
const Buckets = 10000

const namespace = "imshift-cohort:"

// Bucket is the user's stable bucket in [0, Buckets).
func Bucket(userID string) int {
	sum := sha256.Sum256([]byte(namespace + userID))
	return int(binary.BigEndian.Uint64(sum[:8]) % Buckets)
}

// Threshold is the number of buckets on OpenIM at percent p.
func Threshold(percent float64) int {
	t := int(math.Round(percent * 100))
	return max(0, min(Buckets, t))
}

// Rule is a routing decision: percent plus allow and deny lists.
type Rule struct {
	Percent float64
	Allow   map[string]bool
	Deny    map[string]bool
}

// NewRule builds a Rule from lists.
func NewRule(percent float64, allow, deny []string) Rule {
	return Rule{Percent: percent, Allow: set(allow), Deny: set(deny)}
}

// OnOpenIM tells whether userID is routed to OpenIM. The allow list wins
// over the deny list, as an operator's explicit opt-in of a named user.
func (r Rule) OnOpenIM(userID string) bool {
	if r.Allow[userID] {
		return true
	}
	return !r.Deny[userID] && Bucket(userID) < Threshold(r.Percent)
}

func set(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}
