package api

import (
	"net/http"
	"time"
)

// Limits are the HTTP server's timeouts (docs/operations.md). ReadTimeout
// covers headers and body: the largest body (MaxBody, 64 KiB) arrives in it
// at 6.5 KB/s, so a client that stalls or trickles is cut off with 408
// instead of holding a connection and a goroutine indefinitely.
type Limits struct {
	ReadHeader time.Duration // request line and headers
	Read       time.Duration // headers and body
	Write      time.Duration // from the end of the headers to the end of the answer
	Idle       time.Duration // a kept-alive connection between requests
}

// DefaultLimits are what the worker serves with.
var DefaultLimits = Limits{
	ReadHeader: 5 * time.Second,
	Read:       10 * time.Second,
	Write:      30 * time.Second,
	Idle:       60 * time.Second,
}

// Server returns an http.Server for h on addr with limits l.
func Server(addr string, h http.Handler, l Limits) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeader,
		ReadTimeout:       l.Read,
		WriteTimeout:      l.Write,
		IdleTimeout:       l.Idle,
		MaxHeaderBytes:    16 << 10,
	}
}
