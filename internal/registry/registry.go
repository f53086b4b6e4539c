// Package registry is the device registry: one row per (provider, token) in
// imshift.devices, written by the HTTP API and the import command, read by
// the push activities. Device tokens leave this package in two ways only:
// Page hands them to the senders, and every listing meant for people
// (ListByUser) carries them masked.
package registry

import (
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Platforms and providers the registry accepts.
const (
	PlatformIOS     = "ios"
	PlatformAndroid = "android"
	PlatformWeb     = "web"
	ProviderFCM     = "fcm"
	ProviderAPNs    = "apns"
)

// Device is one registered push token.
type Device struct {
	ID         int64
	UserID     string
	Platform   string // ios | android | web
	Provider   string // fcm | apns
	Token      string
	AppID      string
	Locale     string // BCP 47-ish, e.g. "de-DE"; may be empty
	TimeZone   string // IANA name; "UTC" when not given
	CreatedAt  time.Time
	LastSeenAt time.Time
	// InvalidatedAt is set once a provider called the token dead; such a
	// device is never paged again until it registers anew.
	InvalidatedAt *time.Time
	InvalidReason string
}

// Store reads and writes imshift.devices. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a Store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

const columns = `id, user_id, platform, provider, token, app_id, locale, time_zone,
	created_at, last_seen_at, invalidated_at, coalesce(invalid_reason, '')`

type scanner interface{ Scan(dest ...any) error }

func scanDevice(row scanner) (Device, error) {
	var d Device
	err := row.Scan(&d.ID, &d.UserID, &d.Platform, &d.Provider, &d.Token, &d.AppID, &d.Locale,
		&d.TimeZone, &d.CreatedAt, &d.LastSeenAt, &d.InvalidatedAt, &d.InvalidReason)
	return d, err
}
