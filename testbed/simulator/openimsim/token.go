package openimsim

import (
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// adminPlatformID is the platform every admin token is issued for.
const adminPlatformID = 10

// claims has the server's JWT shape: capitalised UserID and PlatformID from
// the Go struct, plus exp, iat and an nbf five minutes in the past.
type claims struct {
	UserID     string
	PlatformID int
	jwt.RegisteredClaims
}

type tokenState int8

// The states stored in UID_PID_TOKEN_STATUS hashes.
const (
	tokenNormal tokenState = 0
	tokenKicked tokenState = 2
)

func (s *Server) mint(secret, userID string, platformID int) (string, error) {
	now := s.now()
	cl := claims{UserID: userID, PlatformID: platformID, RegisteredClaims: jwt.RegisteredClaims{
		ExpiresAt: jwt.NewNumericDate(now.Add(s.opts.TokenTTL)),
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now.Add(-5 * time.Minute)),
	}}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, cl).SignedString([]byte(secret))
}

func (s *Server) ttlSeconds() int64 { return int64(s.opts.TokenTTL / time.Second) }

// verifyLocked checks signature and time, then, for user tokens only, the
// token table: in v3.8.3 admin tokens are never stored, so never kicked.
func (s *Server) verifyLocked(token string) (*claims, *apiError) {
	cl := &claims{}
	_, err := jwt.ParseWithClaims(token, cl,
		func(*jwt.Token) (any, error) { return []byte(s.st.secret), nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithTimeFunc(s.now))
	if err != nil {
		return nil, tokenErr(err)
	}
	if s.admins[cl.UserID] {
		return cl, nil
	}
	state, ok := s.st.tokens[platformKey{cl.UserID, int32(cl.PlatformID)}][token]
	switch {
	case !ok:
		return nil, newErr(codeTokenNotExist, "token not exist")
	case state == tokenKicked:
		return nil, newErr(codeTokenKicked, "token kicked")
	}
	return cl, nil
}

func tokenErr(err error) *apiError {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return newErr(codeTokenMalformed, "token malformed")
	case errors.Is(err, jwt.ErrTokenExpired):
		return newErr(codeTokenExpired, "token expired")
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return newErr(codeTokenNotValidYet, "token not valid yet")
	}
	return newErr(codeTokenUnknown, "token unknown")
}

// issueUserTokenLocked applies multi-login policy 1: the new token is the only
// normal one on that platform, every older one is kicked.
func (s *Server) issueUserTokenLocked(userID string, platformID int32) (string, error) {
	tok, err := s.mint(s.st.secret, userID, int(platformID))
	if err != nil {
		return "", err
	}
	key := platformKey{userID, platformID}
	set := s.st.tokens[key]
	if set == nil {
		set = map[string]tokenState{}
		s.st.tokens[key] = set
	}
	for t := range set {
		set[t] = tokenKicked
	}
	set[tok] = tokenNormal
	return tok, nil
}

// kickLocked is force_logout: drop the platform's connection and mark all its
// tokens kicked.
func (s *Server) kickLocked(userID string, platformID int32) {
	for t := range s.st.tokens[platformKey{userID, platformID}] {
		s.st.tokens[platformKey{userID, platformID}][t] = tokenKicked
	}
	if conns := s.st.online[userID]; conns != nil {
		delete(conns, platformID)
		if len(conns) == 0 {
			delete(s.st.online, userID)
		}
	}
}
