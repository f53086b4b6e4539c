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
