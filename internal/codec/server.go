package codec

import (
	"net/http"
	"slices"

	"go.temporal.io/sdk/converter"

	"github.com/imshift/imshift/internal/bearer"
)

// ServerOptions configure the codec server.
type ServerOptions struct {
	// Tokens are the accepted bearer tokens; empty means no authentication
	// (only for a loopback address or behind an authenticating proxy).
	Tokens []string
	// Origins are the browser origins (the Temporal UI's) allowed by CORS;
	// "*" allows any.
	Origins []string
}

// Handler serves Temporal's remote codec protocol: POST /encode and
// POST /decode with a JSON Payloads body (and an X-Namespace header the
// codec does not need: the keys are the same in every namespace).
func Handler(c *Codec, o ServerOptions) http.Handler {
	codec := converter.NewPayloadCodecHTTPHandler(c)
	mux := http.NewServeMux()
	mux.Handle("POST /encode", codec)
	mux.Handle("POST /decode", codec)
	return cors(o.Origins, requireBearer(o.Tokens, mux))
}

// cors answers the UI's preflight without authentication (a browser sends
// none on OPTIONS) and marks allowed origins on every answer.
func cors(origins []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (slices.Contains(origins, origin) || slices.Contains(origins, "*")) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
			h.Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func requireBearer(tokens []string, next http.Handler) http.Handler {
	if len(tokens) == 0 {
		return next
	}
	allowed := bearer.New(tokens)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !allowed.Allow(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="imshift-codec"`)
			http.Error(w, "missing or unknown bearer token", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
