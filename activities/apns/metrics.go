package apns

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/imshift/imshift/activities/delivery"
)

// resultCounters are the apns children of delivery.Results, resolved once
// so counting a result is a single atomic add.
var resultCounters = func() map[delivery.Class]prometheus.Counter {
	m := map[delivery.Class]prometheus.Counter{}
	for _, c := range []delivery.Class{delivery.Sent, delivery.DeadToken, delivery.BadMessage,
		delivery.Throttled, delivery.ProviderThrottled, delivery.Transient, delivery.Credentials} {
		m[c] = delivery.Results.WithLabelValues("apns", string(c))
	}
	return m
}()

func countResult(c delivery.Class) { resultCounters[c].Inc() }
