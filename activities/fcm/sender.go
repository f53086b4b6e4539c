// Package fcm sends pushes through Firebase Cloud Messaging with the
// official Admin SDK (firebase.google.com/go/v4 messaging) and maps every
// outcome onto a delivery.Class.
package fcm

import (
	"context"
	"fmt"

	"firebase.google.com/go/v4/messaging"
	"golang.org/x/oauth2"
	"golang.org/x/sync/errgroup"

	"github.com/imshift/imshift/activities/delivery"
)

// maxPerCall is the SDK's SendEach limit.
const maxPerCall = 500

// defaultCallsInFlight: SendEach runs 50 requests at once and waits for its
// slowest message, so several calls in parallel are what keeps throughput
// up when FCM latency is tens of milliseconds.
const defaultCallsInFlight = 4

// Sender is a delivery.Sender for FCM.
type Sender struct {
	client   *messaging.Client
	tokens   oauth2.TokenSource
	inFlight int
}

var _ delivery.Sender = (*Sender)(nil)

// NewSender reads the service-account key file and builds the SDK client.
// It does not contact FCM or the token endpoint.
func NewSender(ctx context.Context, cfg Config) (*Sender, error) {
	inFlight := cfg.CallsInFlight
	if inFlight <= 0 {
		inFlight = defaultCallsInFlight
	}
	client, tokens, err := newClient(ctx, cfg, inFlight)
	if err != nil {
		return nil, err
	}
	return &Sender{client: client, tokens: tokens, inFlight: inFlight}, nil
}

// Send delivers msgs in SendEach calls of at most 500, CallsInFlight calls at
// a time, and returns one Result per message in message order. The error is
// only for ctx already done or a call the SDK rejected as a whole.
func (s *Sender) Send(ctx context.Context, msgs []delivery.Message) ([]delivery.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := make([]delivery.Result, len(msgs))
	if len(msgs) == 0 {
		return results, nil
	}
	// One cached token check up front: a refused service account would
	// otherwise surface as a network error the SDK retries for seconds on
	// every one of the messages.
	if _, err := s.tokens.Token(); err != nil {
		r := Classify(err)
		for i := range results {
			results[i] = r
		}
		record(results)
		return results, nil
	}
	var g errgroup.Group
	g.SetLimit(s.inFlight)
	for start := 0; start < len(msgs); start += maxPerCall {
		end := min(start+maxPerCall, len(msgs))
		g.Go(func() error { return s.sendChunk(ctx, msgs[start:end], results[start:end]) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	record(results)
	return results, nil
}

// sendChunk fills out for up to 500 messages: pre-checked failures
// directly, the rest through SendEach, validate-only ones through
// SendEachDryRun.
func (s *Sender) sendChunk(ctx context.Context, msgs []delivery.Message, out []delivery.Result) error {
	var live, dry batch
	for i, m := range msgs {
		if r, ok := precheck(m); !ok {
			out[i] = r
			continue
		}
		if m.ValidateOnly {
			dry.add(i, toFCM(m))
		} else {
			live.add(i, toFCM(m))
		}
	}
	if err := live.send(ctx, s.client.SendEach, out); err != nil {
		return err
	}
	return dry.send(ctx, s.client.SendEachDryRun, out)
}

// batch is the messages of one SendEach call and where their results go.
type batch struct {
	index []int
	msgs  []*messaging.Message
}

func (b *batch) add(i int, m *messaging.Message) {
	b.index = append(b.index, i)
	b.msgs = append(b.msgs, m)
}

type sendEachFunc func(context.Context, []*messaging.Message) (*messaging.BatchResponse, error)

func (b *batch) send(ctx context.Context, call sendEachFunc, out []delivery.Result) error {
	if len(b.msgs) == 0 {
		return nil
	}
	resp, err := call(ctx, b.msgs)
	if err != nil {
		// Only a message the SDK's own validation rejects gets here, and
		// precheck mirrors that validation; this is a bug, not a result.
		return fmt.Errorf("fcm: SDK rejected the batch: %w", err)
	}
	for j, r := range resp.Responses {
		if r.Success {
			out[b.index[j]] = delivery.Result{Class: delivery.Sent, MessageID: r.MessageID}
		} else {
			out[b.index[j]] = Classify(r.Error)
		}
	}
	return nil
}

// record adds the outcomes to imshift_push_results_total{provider="fcm"}.
func record(results []delivery.Result) {
	counts := make(map[delivery.Class]int, 6)
	for _, r := range results {
		counts[r.Class]++
	}
	for class, n := range counts {
		delivery.Results.WithLabelValues("fcm", string(class)).Add(float64(n))
	}
}
