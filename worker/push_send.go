package main

import (
	"go.temporal.io/sdk/worker"

	"github.com/imshift/imshift/activities/delivery"
	pushact "github.com/imshift/imshift/activities/push"
	"github.com/imshift/imshift/activities/registry"
	"github.com/imshift/imshift/workflows/push"
)

// registerSendPush registers the SendPush workflow and its activities,
// sending through the process's FCM and APNs senders.
func registerSendPush(r worker.Registry, d *deps) {
	push.RegisterSendPush(r, &pushact.SendPushActivities{
		DB:       d.db,
		Registry: registry.New(d.db),
		Senders: map[string]delivery.Sender{
			registry.ProviderFCM:  d.fcm,
			registry.ProviderAPNs: d.apns,
		},
	})
}
