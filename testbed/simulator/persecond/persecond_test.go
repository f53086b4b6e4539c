package persecond

import (
	"testing"
	"time"
)

func TestCounterCountsPerSecond(t *testing.T) {
	var c Counter
	base := time.Unix(1000, 0)
	for _, d := range []time.Duration{0, 100 * time.Millisecond, 2 * time.Second, 2500 * time.Millisecond, -time.Second} {
		c.Add(base.Add(d))
	}
	s := c.Series()
	if s.Start != 1000 || len(s.Counts) != 3 || s.Counts[0] != 3 || s.Counts[1] != 0 || s.Counts[2] != 2 {
		t.Fatalf("series %+v, want start 1000 counts [3 0 2] (the stepped-back event in the first second)", s)
	}
}

func TestSteadyPartAndWindows(t *testing.T) {
	s := Series{Start: 50, Counts: []int64{5, 100, 100, 100, 130, 100, 100, 10}}
	steady := s.Between(0.05, 0.95)
	if steady.Start != 51 || len(steady.Counts) != 6 {
		t.Fatalf("steady part %+v, want seconds 51..56", steady)
	}
	if r := steady.Rate(); r != 105 {
		t.Fatalf("steady rate %v, want 105", r)
	}
	if w := steady.MaxWindow(2); w != 115 {
		t.Fatalf("max 2 s window %v, want 115", w)
	}
	if w := steady.MaxWindow(10); w != 105 {
		t.Fatalf("a window longer than the series is its mean, got %v", w)
	}
	if e := (Series{}).Between(0.1, 0.9); len(e.Counts) != 0 || e.Rate() != 0 {
		t.Fatalf("empty series gave %+v", e)
	}
}
