package fcm_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/imshift/imshift/activities/delivery"
)

// BenchmarkSend measures end-to-end throughput through the SDK and the
// simulator (TLS+HTTP/2, 0 ms latency) in batches of 2 000 messages. It
// also reports process CPU per message (client and simulator together),
// which is steadier than msgs/s on a shared machine.
func BenchmarkSend(b *testing.B) {
	e := startSim(b)
	s := e.sender(b, e.keyFile)
	msgs := make([]delivery.Message, 2000)
	for i := range msgs {
		msgs[i] = delivery.Message{Token: fmt.Sprintf("bench-%06d", i), Title: "t", Body: "b",
			Data: map[string]string{"k": "v"}}
	}
	if _, err := s.Send(context.Background(), msgs[:1]); err != nil {
		b.Fatal(err)
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		res, err := s.Send(context.Background(), msgs)
		if err != nil || res[len(res)-1].Class != delivery.Sent {
			b.Fatalf("send: %v %+v", err, res[len(res)-1])
		}
	}
	n := float64(b.N * len(msgs))
	b.ReportMetric(n/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/n, "cpu-µs/msg")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
