package legacy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// HTTPOpenIM is a SetOnliner for an OpenIM simulator in another process,
// through its control surface POST /_sim/online. SetOnline has no error to
// return (a real client's connection attempt either works or not), so a
// failed call is counted in Failures.
type HTTPOpenIM struct {
	BaseURL string       // the simulator's base URL, e.g. http://127.0.0.1:10002
	Client  *http.Client // nil: a client with a 5 s timeout
	fails   atomic.Int64
}

var defaultHTTP = &http.Client{Timeout: 5 * time.Second}

// SetOnline implements SetOnliner.
func (h *HTTPOpenIM) SetOnline(userID string, platformID int32, online bool) {
	if err := h.post(userID, platformID, online); err != nil {
		h.fails.Add(1)
	}
}

// Failures is the number of SetOnline calls that did not reach the simulator.
func (h *HTTPOpenIM) Failures() int64 { return h.fails.Load() }

func (h *HTTPOpenIM) post(userID string, platformID int32, online bool) error {
	body, err := json.Marshal(map[string]any{"userID": userID, "platformID": platformID, "online": online})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	url := strings.TrimRight(h.BaseURL, "/") + "/_sim/online"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	c := h.Client
	if c == nil {
		c = defaultHTTP
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("legacy: /_sim/online answered HTTP %d", resp.StatusCode)
	}
	return nil
}
