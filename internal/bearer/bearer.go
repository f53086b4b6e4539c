// Package bearer checks HTTP bearer tokens (the push API's, OpenIM's webhooks'
// and the codec server's).
package bearer

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// Tokens keeps only the tokens' SHA-256 digests and compares digests, so the
// comparison takes the same time whatever the presented token's length, and
// it compares against every configured token without stopping at a match.
type Tokens struct {
	digests [][sha256.Size]byte
}

// New returns the set of accepted tokens; empty strings are ignored.
func New(tokens []string) *Tokens {
	a := &Tokens{}
	for _, t := range tokens {
		if t != "" {
			a.digests = append(a.digests, sha256.Sum256([]byte(t)))
		}
	}
	return a
}

// Allow reports whether r carries `Authorization: Bearer <one of the tokens>`.
func (a *Tokens) Allow(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return false
	}
	return a.match(token)
}

// AllowBasic checks the password of HTTP Basic authentication (the user
// name is not checked): how OpenIM's webhook client presents a secret
// written into its webhook URL as http://openim:<secret>@host/...
func (a *Tokens) AllowBasic(r *http.Request) bool {
	_, password, ok := r.BasicAuth()
	return ok && password != "" && a.match(password)
}

func (a *Tokens) match(token string) bool {
	got := sha256.Sum256([]byte(token))
	match := 0
	for _, want := range a.digests {
		match |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	return match == 1
}
