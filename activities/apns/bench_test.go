package apns

import (
	"context"
	"testing"

	"github.com/imshift/imshift/activities/delivery"
)

// BenchmarkSend pushes b.N messages through one Send at the default
// Streams against the simulator at zero latency.
func BenchmarkSend(b *testing.B) {
	r := newRig(b)
	s := r.sender(b, func(c *Config) { c.Streams = DefaultStreams })
	msgs := make([]delivery.Message, b.N)
	for i := range msgs {
		msgs[i] = msg(deviceToken(i))
	}
	b.ResetTimer()
	res, err := s.Send(context.Background(), msgs)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	for i, got := range res {
		if got.Class != delivery.Sent {
			b.Fatalf("message %d: %+v", i, got)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
