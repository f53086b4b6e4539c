package main

import (
	"go.temporal.io/sdk/worker"

	"github.com/imshift/imshift/activities/campaign"
	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/activities/registry"
	"github.com/imshift/imshift/workflows/push"
)

// registerCampaign registers the PushCampaign workflow and its activities:
// pages go out through the process's FCM and APNs senders, under the global
// per-provider rates (IMSHIFT_FCM_RATE_PER_SECOND, IMSHIFT_APNS_RATE_PER_SECOND)
// shared by every worker through Redis.
func registerCampaign(r worker.Registry, d *deps) {
	acts := campaign.New(campaign.Config{
		DB:    d.db,
		Redis: d.redis,
		Senders: map[string]delivery.Sender{
			registry.ProviderFCM:  d.fcm,
			registry.ProviderAPNs: d.apns,
		},
		ProviderRate: map[string]int{
			registry.ProviderFCM:  d.settings.FCM.RatePerSecond,
			registry.ProviderAPNs: d.settings.APNs.RatePerSecond,
		},
	})
	push.RegisterCampaign(r, acts, push.DefaultTuning)
}
