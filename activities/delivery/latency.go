package delivery

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// SendSeconds is the provider latency: how long one Send call takes (FCM: one
// SendEach of up to 500 messages; APNs: one batch of HTTP/2 requests sent
// concurrently), whatever its outcome.
var SendSeconds = promauto.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "imshift_provider_send_seconds",
	Help:    "Duration of one provider send call (a batch) by provider.",
	Buckets: prometheus.ExponentialBuckets(0.005, 2, 13), // 5 ms to 20 s
}, []string{"provider"})

// Timed wraps s so every Send call is observed in SendSeconds under provider.
func Timed(provider string, s Sender) Sender {
	return timed{Sender: s, seconds: SendSeconds.WithLabelValues(provider)}
}

type timed struct {
	Sender
	seconds prometheus.Observer
}

func (t timed) Send(ctx context.Context, msgs []Message) ([]Result, error) {
	start := time.Now()
	defer func() { t.seconds.Observe(time.Since(start).Seconds()) }()
	return t.Sender.Send(ctx, msgs)
}
