package tokens

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	// PruneOutcomes counts dead or stale FCM tokens' OpenIM side per
	// (user, platform): replaced (a live token put in place), expired
	// (cleared), not_provisioned (nothing in OpenIM); and per device:
	// failed, left_to_sweep (the Pruner's queue was full).
	PruneOutcomes = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "imshift_token_openim_prunes_total",
		Help: "Dead or stale FCM tokens cleared from OpenIM, by outcome.",
	}, []string{"outcome"})

	// StaleRemoved counts devices TokenSweep removed as stale.
	StaleRemoved = promauto.NewCounter(prometheus.CounterOpts{
		Name: "imshift_token_stale_removed_total",
		Help: "Devices removed by TokenSweep because their token was not refreshed for IMSHIFT_TOKEN_STALE_AFTER.",
	})
)
