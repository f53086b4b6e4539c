package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imshift/imshift/activities/apns"
	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/activities/fcm"
	"github.com/imshift/imshift/testbed/rigs/devicefill"
)

// rawCeiling sends one push to every seeded device with the same SDK
// senders the worker uses, straight from this process: no Temporal, no
// registry reads, no ledger, no rate limit. FCM runs -fcm-calls SendEach
// calls of 500 at once; APNs keeps -apns-streams requests in flight. Both
// providers run at the same time, as in the campaign.
func (s *stack) rawCeiling(ctx context.Context) (float64, int64, error) {
	simDir := filepath.Join(s.dir, "sim")
	fs, err := fcm.NewSender(ctx, fcm.Config{CredentialsFile: filepath.Join(simDir, "fcm-service-account.json"),
		ProjectID: simProject, Endpoint: "https://" + s.fcmAddr, RootCAs: s.sims.Pool, CallsInFlight: 1})
	if err != nil {
		return 0, 0, err
	}
	as, err := apns.NewSender(apns.Config{KeyFile: filepath.Join(simDir, "apns-key.p8"), KeyID: simKeyID,
		TeamID: simTeamID, Topic: simTopic, Endpoint: "https://" + s.apnsAddr, RootCAs: s.sims.Pool, Streams: s.f.apnsStreams})
	if err != nil {
		return 0, 0, err
	}
	n := s.f.devices
	var sent atomic.Int64
	began := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	// FCM: even device numbers, calls of 500, fcm-calls at once.
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs <- sendAll(ctx, fs, s.f.fcmCalls, n, 0, devicefill.FCMToken, &sent)
	}()
	// APNs: odd device numbers; enough calls of 500 to keep every stream busy.
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs <- sendAll(ctx, as, max(2, s.f.apnsStreams/250), n, 1, devicefill.APNsToken, &sent)
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return 0, 0, err
		}
	}
	elapsed := time.Since(began)
	return float64(sent.Load()) / elapsed.Seconds(), sent.Load(), nil
}

// sendAll sends device numbers first, first+2, ... below n through
// `workers` concurrent Send calls of up to 500 messages each.
func sendAll(ctx context.Context, sender delivery.Sender, workers, n, first int, token func(int) string, sent *atomic.Int64) error {
	next := make(chan int) // first device number of a call
	go func() {
		defer close(next)
		for i := first; i < n; i += 2 * 500 {
			next <- i
		}
	}()
	var wg sync.WaitGroup
	var failed atomic.Int64
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := range next {
				msgs := make([]delivery.Message, 0, 500)
				for i := start; i < n && len(msgs) < 500; i += 2 {
					msgs = append(msgs, benchMessage(token(i)))
				}
				res, err := sender.Send(ctx, msgs)
				if err != nil {
					failed.Add(int64(len(msgs)))
					continue
				}
				for _, r := range res {
					if r.Class == delivery.Sent {
						sent.Add(1)
					} else {
						failed.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("raw ceiling: %d pushes failed", f)
	}
	return nil
}

// benchMessage is the campaign's message (its default variant).
func benchMessage(token string) delivery.Message {
	return delivery.Message{Token: token, Title: "Spring sale", Body: "20% off today",
		Data: map[string]string{"deeplink": "app://sale"}, TTL: 24 * time.Hour,
		CollapseKey: "spring-sale", PushType: "alert", Sound: "default"}
}
