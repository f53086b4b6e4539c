package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// authenticator checks bearer tokens. It keeps only their SHA-256 digests
// and compares digests, so the comparison takes the same time whatever the
// presented token's length, and it compares against every configured token
// without stopping at a match.
type authenticator struct {
	digests [][sha256.Size]byte
}

func newAuthenticator(tokens []string) *authenticator {
	a := &authenticator{}
	for _, t := range tokens {
		if t != "" {
			a.digests = append(a.digests, sha256.Sum256([]byte(t)))
		}
	}
	return a
}

func (a *authenticator) allow(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return false
	}
	return a.match(token)
}

// allowBasic checks the password of HTTP Basic authentication (the user
// name is not checked): how OpenIM's webhook client presents a secret
// written into its webhook URL as http://openim:<secret>@host/...
func (a *authenticator) allowBasic(r *http.Request) bool {
	_, password, ok := r.BasicAuth()
	return ok && password != "" && a.match(password)
}

func (a *authenticator) match(token string) bool {
	got := sha256.Sum256([]byte(token))
	match := 0
	for _, want := range a.digests {
		match |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	return match == 1
}
