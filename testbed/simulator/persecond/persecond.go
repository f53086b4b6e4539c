// Package persecond counts events per wall-clock second. The FCM and APNs
// simulators count every delivery in one, so a test can measure the rate the
// providers received pushes at from the receivers' own clocks, whatever the
// senders believe they sent.
package persecond

import (
	"sync"
	"time"
)

// Counter is a count per second since its first event; the zero value is
// ready to use. One int64 per second: a day is under 700 KB.
type Counter struct {
	mu     sync.Mutex
	start  int64 // unix second of counts[0]
	counts []int64
}

// Add counts one event at t.
func (c *Counter) Add(t time.Time) {
	sec := t.Unix()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.start = sec
	}
	i := max(sec-c.start, 0) // a clock stepped back counts in the first second
	for int64(len(c.counts)) <= i {
		c.counts = append(c.counts, 0)
	}
	c.counts[i]++
}

// Series is a copy of the counts.
func (c *Counter) Series() Series {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Series{Start: c.start, Counts: append([]int64{}, c.counts...)}
}

// Series is events per second: Counts[i] happened in unix second Start+i.
type Series struct {
	Start  int64   `json:"start"`
	Counts []int64 `json:"counts"`
}

// Total is every event of the series.
func (s Series) Total() int64 {
	var n int64
	for _, v := range s.Counts {
		n += v
	}
	return n
}

// Between is the part of the series from the second the cumulative count
// passes lo·Total to the second it reaches hi·Total (0 ≤ lo < hi ≤ 1): the
// steady part of a run, without its ramp-up and its tail.
func (s Series) Between(lo, hi float64) Series {
	total := float64(s.Total())
	first, last := -1, len(s.Counts)-1
	var sum int64
	for i, v := range s.Counts {
		sum += v
		if first < 0 && float64(sum) > lo*total {
			first = i
		}
		if float64(sum) >= hi*total {
			last = i
			break
		}
	}
	if first < 0 {
		return Series{Start: s.Start}
	}
	return Series{Start: s.Start + int64(first), Counts: s.Counts[first : last+1]}
}

// Rate is the mean events per second over the series.
func (s Series) Rate() float64 {
	if len(s.Counts) == 0 {
		return 0
	}
	return float64(s.Total()) / float64(len(s.Counts))
}

// MaxWindow is the highest mean rate over any n consecutive seconds (the
// whole series when it is shorter).
func (s Series) MaxWindow(n int) float64 {
	if n <= 0 || len(s.Counts) <= n {
		return s.Rate()
	}
	var sum, best int64
	for i, v := range s.Counts {
		sum += v
		if i >= n {
			sum -= s.Counts[i-n]
		}
		if i >= n-1 && sum > best {
			best = sum
		}
	}
	return float64(best) / float64(n)
}
