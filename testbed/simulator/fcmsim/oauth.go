package fcmsim

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/golang-jwt/jwt/v5"
)

const jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// serviceAccountFile is the subset of a Google service-account key file the
// simulator writes and reads.
type serviceAccountFile struct {
	Type         string `json:"type"`
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	ClientID     string `json:"client_id"`
	AuthURI      string `json:"auth_uri"`
	TokenURI     string `json:"token_uri"`
}

// account is a registered service account: who it is and the public half
// of its key.
type account struct {
	email     string
	projectID string
	keyID     string
	key       *rsa.PublicKey
}

// ServiceAccountJSON makes a service-account key file with a fresh RSA key
// whose token_uri is tokenURI (the simulator's /token). Register it with
// RegisterServiceAccount before the SDK asks for a token.
func ServiceAccountJSON(tokenURI, projectID string) ([]byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("fcmsim: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("fcmsim: marshal key: %w", err)
	}
	id := randomHex(20)
	return json.MarshalIndent(serviceAccountFile{
		Type:         "service_account",
		ProjectID:    projectID,
		PrivateKeyID: id,
		PrivateKey:   string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		ClientEmail:  "firebase-adminsdk-" + id[:5] + "@" + projectID + ".iam.gserviceaccount.com",
		ClientID:     randomHex(10),
		AuthURI:      "https://accounts.google.com/o/oauth2/auth",
		TokenURI:     tokenURI,
	}, "", "  ")
}

// parseAccount reads a key file and keeps only its public key.
func parseAccount(b []byte) (*account, error) {
	var f serviceAccountFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, errors.New("fcmsim: service account is not JSON")
	}
	if f.Type != "service_account" || f.ClientEmail == "" || f.ProjectID == "" {
		return nil, errors.New("fcmsim: not a service account with client_email and project_id")
	}
	block, _ := pem.Decode([]byte(f.PrivateKey))
	if block == nil {
		return nil, errors.New("fcmsim: private_key is not PEM")
	}
	priv, err := parseRSAKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	return &account{email: f.ClientEmail, projectID: f.ProjectID, keyID: f.PrivateKeyID, key: &priv.PublicKey}, nil
}

func parseRSAKey(der []byte) (*rsa.PrivateKey, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("fcmsim: private_key is not an RSA key")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("fcmsim: private_key is not an RSA key")
	}
	return rk, nil
}

// auth holds registered accounts and the access tokens issued to them.
// Tokens never expire inside one simulator run.
type auth struct {
	mu       sync.RWMutex
	accounts map[string]*account // by client_email
	issued   sync.Map            // access token -> *account
}

func (a *auth) register(acc *account) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.accounts == nil {
		a.accounts = make(map[string]*account)
	}
	a.accounts[acc.email] = acc
}

func (a *auth) lookup(email string) *account {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.accounts[email]
}

// bearer returns the account behind an "Authorization: Bearer" header.
func (a *auth) bearer(r *http.Request) *account {
	const prefix = "Bearer "
	h := r.Header.Get("Authorization")
	if len(h) <= len(prefix) || h[:len(prefix)] != prefix {
		return nil
	}
	v, ok := a.issued.Load(h[len(prefix):])
	if !ok {
		return nil
	}
	return v.(*account)
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
}

type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// serveToken is the OAuth2 JWT-bearer grant: the assertion must be RS256,
// signed by a registered account's key, addressed to this endpoint.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, oauthError{"invalid_request", "POST required"})
		return
	}
	if r.PostFormValue("grant_type") != jwtBearerGrant {
		writeJSON(w, http.StatusBadRequest, oauthError{"unsupported_grant_type", "Invalid grant_type"})
		return
	}
	acc, err := s.verifyAssertion(r.PostFormValue("assertion"), requestURL(r))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_grant", err.Error()})
		return
	}
	tok := randomHex(32)
	s.auth.issued.Store(tok, acc)
	s.stats().accessTokens.Add(1)
	writeJSON(w, http.StatusOK, tokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: 3600})
}

// verifyAssertion checks the signature against the key of the account named
// by iss, the expiry, and that aud is this endpoint. The returned errors are
// Google's own wording and reveal nothing about the keys.
func (s *Server) verifyAssertion(assertion, self string) (*account, error) {
	var acc *account
	_, err := jwt.Parse(assertion, func(t *jwt.Token) (any, error) {
		iss, err := t.Claims.GetIssuer()
		if err != nil {
			return nil, err
		}
		acc = s.auth.lookup(iss)
		if acc == nil {
			return nil, errors.New("unknown account")
		}
		return acc.key, nil
	}, jwt.WithValidMethods([]string{"RS256"}), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithAudience(self))
	switch {
	case err == nil:
		return acc, nil
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return nil, errors.New("Invalid JWT Signature.")
	case acc == nil:
		return nil, errors.New("Invalid grant: account not found")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return nil, errors.New("Invalid JWT: Failed audience check.")
	default:
		return nil, errors.New("Invalid JWT: Token must be a short-lived token and in a reasonable timeframe")
	}
}

// requestURL is the URL the client used, which a Google assertion names in aud.
func requestURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.Path
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
