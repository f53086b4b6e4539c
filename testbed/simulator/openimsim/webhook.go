package openimsim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// OpenIM's presence webhook commands (pkg/callbackstruct/constant.go).
const (
	CommandUserOnline  = "callbackAfterUserOnlineCommand"
	CommandUserOffline = "callbackAfterUserOfflineCommand"
)

// As OpenIM's webhook client (pkg/common/webhook/http_client.go): two
// workers behind an in-memory queue of 100, no retry; timeout 5 s is
// webhooks.yml's default.
const (
	webhookWorkers = 2
	webhookBuffer  = 100
	webhookTimeout = 5 * time.Second
)

// platformNames is OpenIM's constant.PlatformIDToName.
var platformNames = map[int32]string{
	1: "IOS", 2: "Android", 3: "Windows", 4: "OSX", 5: "Web", 6: "MiniWeb",
	7: "Linux", 8: "APad", 9: "IPad", 10: "Admin", 11: "HarmonyOS",
}

// WebhookConfig is webhooks.yml's url with afterUserOnline and
// afterUserOffline enabled, plus the simulator's fault knob.
type WebhookConfig struct {
	// URL is webhooks.yml "url"; each command posts to URL + "/" + command.
	// A user:password in it becomes HTTP Basic authentication, as Go's
	// client (OpenIM's) does. Empty turns the webhooks off.
	URL string `json:"url"`
	// DropRate in [0, 1) is the share of events lost before they are sent,
	// drawn from a generator seeded with Seed: the same seed drops the same
	// events of the same sequence.
	DropRate float64 `json:"dropRate"`
	Seed     uint64  `json:"seed"`
}

// WebhookCounters is what the webhook sender did since the last Reset or
// SetWebhooks.
type WebhookCounters struct {
	Sent     int64 `json:"sent"`     // answered by the receiver (any status)
	Dropped  int64 `json:"dropped"`  // lost to DropRate
	Overflow int64 `json:"overflow"` // lost because the queue of 100 was full
	Failed   int64 `json:"failed"`   // the POST itself failed (refused, timeout)
}

// userStatusCallback is callbackstruct.CallbackUserOnlineReq / ...OfflineReq.
type userStatusCallback struct {
	CallbackCommand string `json:"callbackCommand"`
	OperationID     string `json:"operationID"`
	PlatformID      int    `json:"platformID"`
	Platform        string `json:"platform"`
	UserID          string `json:"userID"`
	Seq             int64  `json:"seq"`
	IsAppBackground *bool  `json:"isAppBackground,omitempty"` // online only
	ConnID          string `json:"connID"`
}

type webhooks struct {
	client *http.Client
	queue  chan userStatusCallback
	opSeq  atomic.Int64

	mu       sync.Mutex
	cond     *sync.Cond
	cfg      WebhookConfig
	rnd      *rand.Rand
	pending  int
	counters WebhookCounters
}

func newWebhooks() *webhooks {
	w := &webhooks{
		client: &http.Client{Timeout: webhookTimeout},
		queue:  make(chan userStatusCallback, webhookBuffer),
	}
	w.cond = sync.NewCond(&w.mu)
	for range webhookWorkers {
		go w.work()
	}
	return w
}

// SetWebhooks configures the presence webhooks and zeroes their counters.
func (s *Server) SetWebhooks(cfg WebhookConfig) error {
	if cfg.URL != "" {
		if u, err := url.Parse(cfg.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return errors.New("openimsim: webhook url must be an http(s) URL")
		}
	}
	if cfg.DropRate < 0 || cfg.DropRate >= 1 {
		return errors.New("openimsim: webhook dropRate must be in [0, 1)")
	}
	w := s.hooks
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cfg, w.counters = cfg, WebhookCounters{}
	w.rnd = rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	return nil
}

// WebhookCounters returns the sender's counters.
func (s *Server) WebhookCounters() WebhookCounters {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return s.hooks.counters
}

// WaitWebhooks returns once every queued webhook was sent or failed, or
// when ctx ends.
func (s *Server) WaitWebhooks(ctx context.Context) error {
	w := s.hooks
	stop := context.AfterFunc(ctx, func() {
		w.mu.Lock()
		w.cond.Broadcast()
		w.mu.Unlock()
	})
	defer stop()
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.pending > 0 && ctx.Err() == nil {
		w.cond.Wait()
	}
	return ctx.Err()
}

// emitPresence fires what a gateway's merged state change fires: one
// afterUserOnline per platform still online, then afterUserOffline for
// the platform that went (internal/msggateway/online.go). Called with s.mu
// held, so events leave in the order of the changes.
func (s *Server) emitPresence(userID string, online []int32, offline int32) {
	w := s.hooks
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cfg.URL == "" {
		return
	}
	seq := s.now().UnixMilli()
	opID := "p_" + strconv.Itoa(os.Getpid()) + "_" + strconv.FormatInt(w.opSeq.Add(1), 10)
	for _, p := range online {
		bg := false
		w.enqueueLocked(userStatusCallback{CallbackCommand: CommandUserOnline, OperationID: opID, PlatformID: int(p),
			Platform: platformNames[p], UserID: userID, Seq: seq, IsAppBackground: &bg})
	}
	if offline != 0 {
		w.enqueueLocked(userStatusCallback{CallbackCommand: CommandUserOffline, OperationID: opID, PlatformID: int(offline),
			Platform: platformNames[offline], UserID: userID, Seq: seq})
	}
}

func (w *webhooks) enqueueLocked(cb userStatusCallback) {
	if w.cfg.DropRate > 0 && w.rnd.Float64() < w.cfg.DropRate {
		w.counters.Dropped++
		return
	}
	select {
	case w.queue <- cb:
		w.pending++
	default:
		w.counters.Overflow++
	}
}

func (w *webhooks) work() {
	for cb := range w.queue {
		w.mu.Lock()
		base := w.cfg.URL
		w.mu.Unlock()
		err := w.post(base, cb)
		w.mu.Lock()
		if err != nil {
			w.counters.Failed++
		} else {
			w.counters.Sent++
		}
		w.pending--
		if w.pending == 0 {
			w.cond.Broadcast()
		}
		w.mu.Unlock()
	}
}

// post sends one callback as OpenIM's client does: POST url/command, the
// operationID header, a JSON body; the answer is read and ignored (after
// hooks), so only a failed exchange counts as failed.
func (w *webhooks) post(base string, cb userStatusCallback) error {
	body, err := json.Marshal(cb)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, base+"/"+cb.CallbackCommand, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("operationID", cb.OperationID)
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var answer struct{}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		return fmt.Errorf("webhook answer is not JSON: %w", err)
	}
	return nil
}
