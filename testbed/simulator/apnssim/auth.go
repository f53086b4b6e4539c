package apnssim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// tokenLifetime is how long APNs accepts a provider token after its iat.
const tokenLifetime = time.Hour

// maxCachedTokens bounds the verified-token cache; a client signs a new
// token every 20–60 minutes, so a handful of entries is the normal size.
const maxCachedTokens = 1024

// GenerateKey makes a fresh ES256 signing key and returns it as an Apple
// .p8 file would hold it (PKCS#8, PEM "PRIVATE KEY"), with its public half
// for Options.PublicKey. Nothing is written anywhere.
func GenerateKey() (p8PEM []byte, pub *ecdsa.PublicKey, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("apnssim: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("apnssim: marshal key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), &key.PublicKey, nil
}

// verifier checks provider tokens. An ES256 verification costs far more
// than the rest of a request, and a client reuses one token for many
// minutes, so verified tokens are remembered by their exact text together
// with their iat; only the age check runs on every request.
type verifier struct {
	teamID, keyID string
	pub           *ecdsa.PublicKey
	parser        *jwt.Parser
	cache         sync.Map // bearer string -> int64 iat (unix seconds)
	cached        atomic.Int64
}

func newVerifier(o Options) *verifier {
	return &verifier{
		teamID: o.TeamID,
		keyID:  o.KeyID,
		pub:    o.PublicKey,
		parser: jwt.NewParser(jwt.WithValidMethods([]string{"ES256"}), jwt.WithoutClaimsValidation()),
	}
}

// check returns the APNs reason for a bad authorization header, or "".
func (v *verifier) check(header string, now time.Time) string {
	if header == "" {
		return "MissingProviderToken"
	}
	bearer, ok := cutBearer(header)
	if !ok {
		return "InvalidProviderToken"
	}
	iat, ok := v.cache.Load(bearer)
	if !ok {
		t, reason := v.verify(bearer)
		if reason != "" {
			return reason
		}
		iat = t
		v.remember(bearer, t)
	}
	if now.Sub(time.Unix(iat.(int64), 0)) > tokenLifetime {
		return "ExpiredProviderToken"
	}
	return ""
}

// cutBearer strips the case-insensitive "bearer " scheme.
func cutBearer(h string) (string, bool) {
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	return h[len(scheme):], true
}

// verify checks signature, kid and iss and returns the token's iat.
func (v *verifier) verify(bearer string) (int64, string) {
	claims := jwt.MapClaims{}
	_, err := v.parser.ParseWithClaims(bearer, claims, func(t *jwt.Token) (any, error) {
		if kid, _ := t.Header["kid"].(string); kid != v.keyID || v.pub == nil {
			return nil, fmt.Errorf("unknown key id")
		}
		return v.pub, nil
	})
	if err != nil {
		return 0, "InvalidProviderToken"
	}
	if iss, _ := claims["iss"].(string); iss != v.teamID {
		return 0, "InvalidProviderToken"
	}
	iat, err := claims.GetIssuedAt()
	if err != nil || iat == nil {
		return 0, "InvalidProviderToken"
	}
	return iat.Unix(), ""
}

func (v *verifier) remember(bearer string, iat int64) {
	if v.cached.Add(1) > maxCachedTokens {
		v.cache.Clear()
		v.cached.Store(1)
	}
	v.cache.Store(bearer, iat)
}
