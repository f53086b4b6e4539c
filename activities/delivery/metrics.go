package delivery

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Results counts push outcomes by provider ("fcm", "apns") and Class. It is
// defined once here because both senders report into the same metric name and
// registering it twice on the default registry panics.
var Results = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "imshift_push_results_total",
	Help: "Push outcomes by provider and delivery class.",
}, []string{"provider", "class"})

// CallMessages is how many messages each campaign provider call carried, by
// provider: calls far below 500 mean retries are sent in fragments, each
// with its own gate, ledger and SDK overhead.
var CallMessages = promauto.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "imshift_push_call_messages",
	Help:    "Messages per campaign provider call, by provider.",
	Buckets: []float64{1, 10, 50, 100, 250, 499, 500},
}, []string{"provider"})
