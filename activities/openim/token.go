package openim

import (
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// refreshAt is when a freshly issued admin token should be replaced: a tenth
// of its lifetime (at most an hour) before the JWT's exp, so a call never
// races the expiry. Without a readable exp the reply's TTL is used; without
// either, the token is kept until the server rejects it.
func refreshAt(token string, ttlSeconds int64, now time.Time) time.Time {
	var cl jwt.RegisteredClaims
	_, _, err := jwt.NewParser().ParseUnverified(token, &cl)
	var exp, iat time.Time
	if err == nil && cl.ExpiresAt != nil {
		exp = cl.ExpiresAt.Time
		iat = now
		if cl.IssuedAt != nil {
			iat = cl.IssuedAt.Time
		}
	} else if ttlSeconds > 0 {
		iat = now
		exp = now.Add(time.Duration(ttlSeconds) * time.Second)
	} else {
		return now.Add(100 * 365 * 24 * time.Hour)
	}
	margin := min(exp.Sub(iat)/10, time.Hour)
	return exp.Add(-margin)
}
