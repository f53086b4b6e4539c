package config

import (
	"net"
	"strings"
)

// CodecServer is the codec server the worker runs for the Temporal UI and
// `temporal --codec-endpoint` (docs/production.md).
type CodecServer struct {
	Addr                 string   // empty: no codec server
	Tokens               []string // bearer tokens
	Origins              []string // CORS origins (the Temporal UI's)
	AllowUnauthenticated bool
}

// CodecKeys returns IMSHIFT_CODEC_KEYS as written (id:base64key,...); empty
// means payloads are not encrypted. internal/codec parses it.
func CodecKeys(lookup func(string) (string, bool)) string {
	return newEnv(lookup).raw("IMSHIFT_CODEC_KEYS", "")
}

// loadCodecServer reads the codec server's settings. A codec server that
// decrypts for anyone who can reach it is refused unless it listens on
// loopback or the operator says an authenticating proxy stands in front.
func loadCodecServer(e *env) CodecServer {
	c := CodecServer{
		Addr:                 e.raw("IMSHIFT_CODEC_ADDR", ""),
		Tokens:               e.list("IMSHIFT_CODEC_TOKENS"),
		Origins:              e.list("IMSHIFT_CODEC_CORS_ORIGINS"),
		AllowUnauthenticated: e.raw("IMSHIFT_CODEC_ALLOW_UNAUTHENTICATED", "false") == "true",
	}
	if c.Addr == "" {
		return c
	}
	if e.raw("IMSHIFT_CODEC_KEYS", "") == "" {
		e.fail("IMSHIFT_CODEC_KEYS", "is missing (the codec server at IMSHIFT_CODEC_ADDR needs the keys)")
	}
	for _, t := range c.Tokens {
		if len(t) < 16 {
			e.fail("IMSHIFT_CODEC_TOKENS", "every token must be at least 16 characters")
		}
	}
	if len(c.Tokens) == 0 && !c.AllowUnauthenticated && !loopback(c.Addr) {
		e.fail("IMSHIFT_CODEC_TOKENS", "is missing (required when IMSHIFT_CODEC_ADDR is not a loopback address; "+
			"set IMSHIFT_CODEC_ALLOW_UNAUTHENTICATED=true only behind an authenticating proxy)")
	}
	return c
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
