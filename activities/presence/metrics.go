package presence

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	// Webhooks counts OpenIM presence webhooks by command and outcome
	// (applied, stale, refused, failed).
	Webhooks = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "imshift_presence_webhooks_total",
		Help: "OpenIM presence webhooks received, by command and outcome.",
	}, []string{"command", "outcome"})

	reconcileCorrections = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "imshift_presence_reconcile_corrections_total",
		Help: "Platforms the presence reconcile set online (missed online event) or offline (expired).",
	}, []string{"kind"})

	reconcilePasses = promauto.NewCounter(prometheus.CounterOpts{
		Name: "imshift_presence_reconcile_passes_total",
		Help: "Completed presence reconcile passes.",
	})
)
