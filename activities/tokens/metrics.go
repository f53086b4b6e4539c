package tokens

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	// pruneOutcomes counts dead or stale FCM tokens' OpenIM side per
	// (user, platform): replaced (a live token put in place), expired
	// (cleared), not_provisioned (nothing in OpenIM), failed.
	pruneOutcomes = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "imshift_token_openim_prunes_total",
		Help: "Dead or stale FCM tokens cleared from OpenIM, by outcome.",
	}, []string{"outcome"})

	// StaleRemoved counts devices TokenSweep removed as stale.
	StaleRemoved = promauto.NewCounter(prometheus.CounterOpts{
		Name: "imshift_token_stale_removed_total",
		Help: "Devices removed by TokenSweep because their token was not refreshed for IMSHIFT_TOKEN_STALE_AFTER.",
	})
)
