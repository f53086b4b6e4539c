package notify

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// attempts counts webhook posts by result: "delivered" (a 2xx) or "failed"
// (anything else; the activity retries it).
var attempts = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "imshift_notification_attempts_total",
	Help: "Webhook posts of state-change notifications by result.",
}, []string{"result"})

func countAttempt(err error) {
	if err != nil {
		attempts.WithLabelValues("failed").Inc()
		return
	}
	attempts.WithLabelValues("delivered").Inc()
}
