package procstat

import "testing"

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
