package main

import (
	"go.temporal.io/sdk/worker"

	campaignact "github.com/imshift/imshift/activities/campaign"
	"github.com/imshift/imshift/activities/delivery"
	migact "github.com/imshift/imshift/activities/migration"
	notifyact "github.com/imshift/imshift/activities/notify"
	"github.com/imshift/imshift/activities/ownership"
	presenceact "github.com/imshift/imshift/activities/presence"
	pushact "github.com/imshift/imshift/activities/sendpush"
	tokensact "github.com/imshift/imshift/activities/tokens"
	"github.com/imshift/imshift/internal/registry"
	"github.com/imshift/imshift/workflows/campaign"
	"github.com/imshift/imshift/workflows/migration"
	"github.com/imshift/imshift/workflows/notify"
	"github.com/imshift/imshift/workflows/presence"
	"github.com/imshift/imshift/workflows/sendpush"
	"github.com/imshift/imshift/workflows/tokens"
)

// register builds each domain's activities on the process's connections and
// puts them, with their workflows, on r. It returns the pruner that clears
// the tokens pushes found dead from OpenIM and the dispatcher of POST
// /v1/push, on the same activities; the caller runs the pruner and the
// dispatcher's sweep.
func register(r worker.Registry, d *deps) (*tokensact.Pruner, *sendpush.Dispatcher) {
	// Run ownership (one live run per migration and per campaign) is shared
	// by both domains.
	ownership.New(d.db, d.temporal).Register(r)
	migration.Register(r, migrationActivities(d))
	notify.Register(r, notifyact.New(d.settings.Notify, nil))
	tokenActs := tokensact.New(tokensact.Config{
		DB: d.db, OpenIM: d.openim, StaleAfter: d.settings.TokenStaleAfter,
	})
	tokens.Register(r, tokenActs)
	pruner := tokensact.NewPruner(tokenActs, d.logger)
	pushActs := &pushact.Activities{
		DB:       d.db,
		Registry: registry.New(d.db),
		Senders:  senders(d),
		OnPruned: pruner.Pruned,
	}
	sendpush.Register(r, pushActs)
	pushes := &sendpush.Dispatcher{Outbox: pushact.Outbox{DB: d.db}, Acts: pushActs, Temporal: d.temporal,
		TaskQueue: d.settings.TaskQueue, Logger: d.logger}
	// Campaign pages go out under the global per-provider rates
	// (IMSHIFT_FCM_RATE_PER_SECOND, IMSHIFT_APNS_RATE_PER_SECOND) shared by
	// every worker through Redis.
	campaign.Register(r, campaignact.New(campaignact.Config{
		DB:      d.db,
		Redis:   d.redis,
		Senders: senders(d),
		ProviderRate: map[string]int{
			registry.ProviderFCM:  d.settings.FCM.RatePerSecond,
			registry.ProviderAPNs: d.settings.APNs.RatePerSecond,
		},
		OnPruned: pruner.Pruned,
	}), campaign.DefaultTuning)
	presence.Register(r, presenceact.New(presenceact.Config{DB: d.db, Redis: d.redis, OpenIM: d.openim}))
	return pruner, pushes
}

// migrationActivities builds the TrafficMigration activities. The user
// directory name was checked when the settings were loaded, so New cannot
// refuse it here.
func migrationActivities(d *deps) *migact.Activities {
	acts, err := migact.New(migact.Config{
		DB:        d.db,
		Redis:     d.redis,
		OpenIM:    d.openim,
		Directory: d.settings.UserDirectory,
	})
	if err != nil {
		panic(err)
	}
	return acts
}

// senders maps each provider to the process's sender for it, timed for
// the provider latency metric.
func senders(d *deps) map[string]delivery.Sender {
	return map[string]delivery.Sender{
		registry.ProviderFCM:  delivery.Timed(registry.ProviderFCM, d.fcm),
		registry.ProviderAPNs: delivery.Timed(registry.ProviderAPNs, d.apns),
	}
}
