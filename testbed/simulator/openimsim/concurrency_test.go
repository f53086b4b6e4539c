package openimsim_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/imshift/imshift/testbed/simulator/openimsim"
)

// TestConcurrentUse runs registrations, presence changes, FCM writes, fault
// changes and snapshots at once; run with -race.
func TestConcurrentUse(t *testing.T) {
	h := newHarness(t, openimsim.Options{})
	admin := h.adminToken()
	const workers, batches, size = 4, 10, 50
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				ids := make([]string, size)
				for i := range ids {
					ids[i] = fmt.Sprintf("w%d_b%d_u%d", w, b, i)
				}
				if r := h.register(admin, ids...); r.ErrCode != 0 {
					t.Errorf("register: %s", r.Raw)
					return
				}
				h.sim.SetOnline(ids[0], int32(w%10+1), true)
				if r := h.post("/third/fcm_update_token", admin, map[string]any{"account": ids[1], "platformID": 2, "fcmToken": "t"}); r.ErrCode != 0 {
					t.Errorf("fcm: %s", r.Raw)
					return
				}
				_ = h.sim.SetFault(openimsim.Fault{Path: "/user/get_users_info", Code: 500, Remaining: 1})
				h.sim.ClearFaults()
				_ = h.sim.Counters()
			}
		}()
	}
	wg.Wait()
	c := h.sim.Counters()
	if c.Users != workers*batches*size || c.MaxRegisterRequests != 1 || c.Online != workers*batches || c.FCMTokens != workers*batches {
		t.Fatalf("users=%d max=%d online=%d fcm=%d", c.Users, c.MaxRegisterRequests, c.Online, c.FCMTokens)
	}
}
