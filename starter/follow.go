package main

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// pollTimeout bounds one poll, so a hung server or a query no worker picks
// up counts as an outage instead of blocking the watch.
const pollTimeout = 10 * time.Second

// Who a watch can be waiting for.
const (
	waitServer = "the Temporal server"
	waitWorker = "the worker"
)

// errQuery marks a failed query of a workflow the server did describe: the
// server is up, so the worker is the one not answering.
var errQuery = errors.New("query")

// follow calls poll every interval until it reports the run over or ctx
// ends (Ctrl-C), riding out outages: while the Temporal server or the
// worker is away it says once "waiting for the worker" (or the Temporal
// server) and keeps polling, and says when it is back. Any other error
// ends the watch. Both `migration watch` and `campaign watch` use it; say
// prints one line the way the caller's output needs.
func follow(ctx context.Context, every time.Duration, say func(string), poll func(context.Context) (bool, error)) error {
	waiting := ""
	for {
		pctx, cancel := context.WithTimeout(ctx, pollTimeout)
		over, err := poll(pctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		who := outage(err)
		if err != nil && who == "" {
			return err
		}
		if who != waiting {
			// The server answering again is news even when the worker is
			// still away; the worker is back only when a poll succeeds.
			if waiting == waitServer || who == "" {
				say(waiting + " is back")
			}
			if who != "" {
				say("waiting for " + who)
			}
			waiting = who
		}
		if err == nil && over {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

// outage names who is away when err says the server or the worker could
// not be reached, or "" for any other error.
func outage(err error) string {
	if err == nil {
		return ""
	}
	var fp *serviceerror.FailedPrecondition
	if errors.As(err, &fp) && strings.Contains(fp.Message, "no poller") {
		return waitWorker
	}
	if !unreachable(err) {
		return ""
	}
	if errors.Is(err, errQuery) {
		return waitWorker
	}
	return waitServer
}

// unreachable is an error of a call that got no answer in time.
func unreachable(err error) bool {
	var (
		unavailable *serviceerror.Unavailable
		deadline    *serviceerror.DeadlineExceeded
	)
	if errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	switch status.Code(errors.Unwrap(err)) {
	case codes.Unavailable, codes.DeadlineExceeded:
		return true
	}
	return false
}
