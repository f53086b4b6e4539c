package openim

import (
	"context"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

type cachedToken struct {
	value     string
	refreshAt time.Time
}

// adminToken returns the cached admin token, or fetches one. Concurrent
// callers wait for a single fetch, each for no longer than its own ctx.
func (c *Client) adminToken(ctx context.Context) (string, error) {
	if c.cfgErr != nil {
		return "", c.cfgErr
	}
	if tok, ok := c.cached(); ok {
		return tok, nil
	}
	select {
	case c.fetching <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-c.fetching }()
	if tok, ok := c.cached(); ok { // fetched while we waited
		return tok, nil
	}
	var reply struct {
		Token             string `json:"token"`
		ExpireTimeSeconds int64  `json:"expireTimeSeconds"`
	}
	req := struct {
		Secret string `json:"secret"`
		UserID string `json:"userID"`
	}{c.secret, c.admin}
	if err := c.post(ctx, pathGetAdminToken, "", req, &reply); err != nil {
		return "", err
	}
	if reply.Token == "" {
		return "", &Error{Path: pathGetAdminToken, HTTPStatus: http.StatusOK, Msg: "BadResponse", Dlt: "no token in the reply"}
	}
	now := c.now()
	c.mu.Lock()
	c.tok = cachedToken{value: reply.Token, refreshAt: refreshAt(reply.Token, reply.ExpireTimeSeconds, now)}
	c.mu.Unlock()
	return reply.Token, nil
}

func (c *Client) cached() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tok.value, c.tok.value != "" && c.now().Before(c.tok.refreshAt)
}

// dropToken forgets tok unless another caller has already replaced it.
func (c *Client) dropToken(tok string) {
	c.mu.Lock()
	if c.tok.value == tok {
		c.tok = cachedToken{}
	}
	c.mu.Unlock()
}

// minTokenUse keeps a token for at least this long, so a client whose clock
// runs ahead of the server's does not fetch a token for every call; a token
// that really has expired is caught by the 1501 retry.
const minTokenUse = time.Minute

// refreshAt is when a freshly issued admin token should be replaced: a tenth
// of its lifetime (at most an hour) before the JWT's exp, so a call never
// races the expiry. Without a readable exp the reply's TTL is used; without
// either, the token is kept until the server rejects it.
func refreshAt(token string, ttlSeconds int64, now time.Time) time.Time {
	var cl jwt.RegisteredClaims
	_, _, err := jwt.NewParser().ParseUnverified(token, &cl)
	iat, exp := now, time.Time{}
	switch {
	case err == nil && cl.ExpiresAt != nil:
		exp = cl.ExpiresAt.Time
		if cl.IssuedAt != nil {
			iat = cl.IssuedAt.Time
		}
	case ttlSeconds > 0:
		exp = now.Add(time.Duration(ttlSeconds) * time.Second)
	default:
		return now.Add(100 * 365 * 24 * time.Hour)
	}
	at := exp.Add(-min(exp.Sub(iat)/10, time.Hour))
	return maxTime(at, now.Add(minTokenUse))
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
