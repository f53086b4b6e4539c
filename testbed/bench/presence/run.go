package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/imshift/imshift/activities/migration"
	"github.com/imshift/imshift/activities/openim"
	"github.com/imshift/imshift/internal/cohort"
)

func run(ctx context.Context, f flags) error {
	s, err := newStack(ctx, f)
	defer s.cleanup()
	if err != nil {
		return err
	}
	rule := cohort.NewRule(50, nil, nil)
	var onOpenIM, legacy []string
	for _, u := range s.users {
		if rule.OnOpenIM(u) {
			onOpenIM = append(onOpenIM, u)
		} else {
			legacy = append(legacy, u)
		}
	}
	if err := legacyOnline(ctx, s, legacy); err != nil {
		return err
	}
	fmt.Printf("demo data: %d users, %d routed to OpenIM (routing at 50 %%), %d on Socket.IO (a third online in presence:user:*)\n",
		len(s.users), len(onOpenIM), len(legacy))

	rate, err := intake(ctx, s, onOpenIM, f)
	if err != nil {
		return err
	}
	fmt.Printf("webhook intake: %d events from %d connections in %s: %.0f events/s (target >= 5000)\n",
		f.events, f.clients, rate.elapsed.Round(time.Millisecond), float64(f.events)/rate.elapsed.Seconds())

	stopProfile, err := startProfile(f.cpuProfile)
	if err != nil {
		return err
	}
	lat, err := queries(ctx, s, f.queries)
	stopProfile()
	if err != nil {
		return err
	}
	fmt.Printf("presence:query of 1 000 users x %d: p50 %s  p99 %s  max %s (target p99 <= 20ms)\n", len(lat),
		pct(lat, 50), pct(lat, 99), lat[len(lat)-1])
	return nil
}

func legacyOnline(ctx context.Context, s *stack, legacy []string) error {
	pipe := s.rdb.Pipeline()
	for i, u := range legacy {
		if i%3 == 0 {
			pipe.SAdd(ctx, migration.PresenceUserKey(u), fmt.Sprintf("sock-%d", i))
		}
	}
	_, err := pipe.Exec(ctx)
	return err
}

type intakeResult struct{ elapsed time.Duration }

// intake posts f.events webhooks, as OpenIM's gateway would send them for
// the OpenIM half (online and offline on iOS, Android and Web, rising seq),
// from f.clients keep-alive connections, and times the lot.
func intake(ctx context.Context, s *stack, users []string, f flags) (intakeResult, error) {
	platforms := []int32{openim.PlatformIOS, openim.PlatformAndroid, openim.PlatformWeb}
	url := s.url + "/openim/webhooks/"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: f.clients}}
	var next, failed atomic.Int64
	seq0 := time.Now().UnixMilli()
	var wg sync.WaitGroup
	start := time.Now()
	for range f.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(f.events) {
					return
				}
				u := users[int(i)%len(users)]
				p := platforms[int(i/int64(len(users)))%len(platforms)]
				online := (i/int64(len(users)*len(platforms)))%2 == 0
				if err := postEvent(client, url, migration.OpenIMUserID(u), p, online, seq0+i); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if n := failed.Load(); n > 0 {
		return intakeResult{}, fmt.Errorf("%d of %d webhooks were not taken", n, f.events)
	}
	return intakeResult{elapsed: elapsed}, ctx.Err()
}

func postEvent(client *http.Client, base, userID string, platform int32, online bool, seq int64) error {
	command := "callbackAfterUserOfflineCommand"
	if online {
		command = "callbackAfterUserOnlineCommand"
	}
	body, _ := json.Marshal(map[string]any{
		"callbackCommand": command, "operationID": "p_1_1", "platformID": platform,
		"platform": openim.PlatformName(platform), "userID": userID, "seq": seq,
		"isAppBackground": false, "connID": "",
	})
	req, _ := http.NewRequest(http.MethodPost, base+command, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("operationID", "p_1_1")
	req.SetBasicAuth("openim", webhookSecret)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}

// queries times n queries of 1 000 random demo users (after 20 untimed),
// sorted.
func queries(ctx context.Context, s *stack, n int) ([]time.Duration, error) {
	rnd := rand.New(rand.NewPCG(11, 12))
	client := &http.Client{}
	var out []time.Duration
	for i := range n + 20 {
		ids := make([]string, 1000)
		for j := range ids {
			ids[j] = s.users[rnd.IntN(len(s.users))]
		}
		body, _ := json.Marshal(map[string][]string{"userIds": ids})
		start := time.Now()
		if err := queryOnce(ctx, client, s.url, body); err != nil {
			return nil, err
		}
		if i >= 20 {
			out = append(out, time.Since(start))
		}
	}
	slices.Sort(out)
	return out, nil
}

func queryOnce(ctx context.Context, client *http.Client, base string, body []byte) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/presence:query", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+apiToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var answers []json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&answers); err != nil || resp.StatusCode != http.StatusOK || len(answers) != 1000 {
		return fmt.Errorf("presence:query: HTTP %d, %d answers, %v", resp.StatusCode, len(answers), err)
	}
	return nil
}

// startProfile writes a CPU profile to path until the returned func runs.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func pct(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(len(sorted)-1, i-1))].Round(10 * time.Microsecond)
}
