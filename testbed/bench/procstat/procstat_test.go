package procstat

import (
	"testing"
	"time"
)

func TestPeakRSSOfThisProcess(t *testing.T) {
	ballast := make([]byte, 64<<20)
	for i := range ballast {
		ballast[i] = 1 // touch every page so it is resident
	}
	rss, err := PeakRSS("self")
	if err != nil {
		t.Fatal(err)
	}
	if rss < 64<<20 {
		t.Fatalf("peak RSS %s, but 64 MiB were touched", MiB(rss))
	}
	if _, err := PeakRSS("0"); err == nil {
		t.Fatal("PeakRSS of pid 0 did not fail")
	}
	_ = ballast[len(ballast)-1]
}

// TestCPUCountsThisProcessAndTheMachine spins until CPU says this process
// used 300 ms more, and checks that the machine's busy time grew by at
// least about as much (more if others ran meanwhile).
func TestCPUCountsThisProcessAndTheMachine(t *testing.T) {
	self0, err := CPU("self")
	if err != nil {
		t.Fatal(err)
	}
	busy0, err := MachineBusy()
	if err != nil {
		t.Fatal(err)
	}
	for {
		now, err := CPU("self")
		if err != nil {
			t.Fatal(err)
		}
		if now-self0 >= 300*time.Millisecond {
			break
		}
		for i := 0; i < 1_000_000; i++ {
			spin++
		}
	}
	busy1, err := MachineBusy()
	if err != nil {
		t.Fatal(err)
	}
	if got := busy1 - busy0; got < 250*time.Millisecond {
		t.Fatalf("machine busy time grew by %v while this process used 300 ms", got)
	}
	if _, err := CPU("0"); err == nil {
		t.Fatal("CPU of pid 0 did not fail")
	}
}

var spin int
