package apnssim

import (
	"sync"
	"sync/atomic"
	"testing"
)

// BenchmarkPush500Streams pushes through the real apns2 client with 500
// goroutines, the shape of activities/apns at its default concurrency.
func BenchmarkPush500Streams(b *testing.B) {
	r := newRig(b)
	c := r.goodClient()
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for range 500 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
				res, err := c.Push(note(deviceToken(int(i))))
				if err != nil || res.StatusCode != 200 {
					b.Errorf("push %d: %v %+v", i, err, res)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if got := r.sim.Counters().Delivered; got != int64(b.N) {
		b.Fatalf("delivered %d of %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkDecide is the per-request bookkeeping alone, over a million
// distinct tokens.
func BenchmarkDecide(b *testing.B) {
	st := newState()
	toks := make([]string, 1<<20)
	keys := make([]tokenKey, len(toks))
	for i := range toks {
		toks[i] = deviceToken(i)
		keys[i], _ = parseToken(toks[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i & (len(toks) - 1)
		st.decide(toks[j], keys[j])
	}
}
