package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/client"

	"github.com/imshift/imshift/activities/apns"
	"github.com/imshift/imshift/activities/delivery"
	"github.com/imshift/imshift/activities/fcm"
	"github.com/imshift/imshift/activities/openim"
	"github.com/imshift/imshift/internal/config"
	"github.com/imshift/imshift/internal/db"
)

// deps is everything the workflows' activities and the HTTP API talk to,
// built once at start.
type deps struct {
	settings config.Worker
	temporal client.Client
	db       *pgxpool.Pool
	redis    *redis.Client
	openim   *openim.Client
	fcm      delivery.Sender
	apns     delivery.Sender
	logger   *slog.Logger
}

func newDeps(ctx context.Context, s config.Worker, tc client.Client, log *slog.Logger) (*deps, error) {
	pool, err := db.Open(ctx, s.DatabaseURL)
	if err != nil {
		return nil, err
	}
	rdb, err := openRedis(ctx, s.RedisURL)
	if err != nil {
		pool.Close()
		return nil, err
	}
	roots, err := rootCAs(s.CAFile)
	if err != nil {
		return nil, err
	}
	fcmSender, err := fcm.NewSender(ctx, fcm.Config{
		CredentialsFile: s.FCM.CredentialsFile, ProjectID: s.FCM.ProjectID,
		Endpoint: s.FCM.Endpoint, RootCAs: roots,
	})
	if err != nil {
		return nil, fmt.Errorf("FCM sender: %w", err)
	}
	apnsSender, err := apns.NewSender(apns.Config{
		KeyFile: s.APNs.KeyFile, KeyID: s.APNs.KeyID, TeamID: s.APNs.TeamID,
		Topic: s.APNs.Topic, Endpoint: s.APNs.Endpoint, RootCAs: roots,
	})
	if err != nil {
		return nil, fmt.Errorf("APNs sender: %w", err)
	}
	return &deps{
		settings: s,
		temporal: tc,
		db:       pool,
		redis:    rdb,
		openim: openim.New(openim.Config{
			BaseURL: s.OpenIM.APIURL, AdminUserID: s.OpenIM.AdminUserID, Secret: s.OpenIM.Secret,
		}),
		fcm:    fcmSender,
		apns:   apnsSender,
		logger: log,
	}, nil
}

func (d *deps) close() {
	d.redis.Close()
	d.db.Close()
}

// openRedis connects to IMSHIFT_REDIS_URL and PINGs it: a worker without
// Redis cannot read presence nor hold the push rate limits, so it refuses
// to start. Errors name the setting, never its value (it may hold a
// password).
func openRedis(ctx context.Context, url string) (*redis.Client, error) {
	redis.SetLogger(quietRedis{})
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, &config.Error{Name: "IMSHIFT_REDIS_URL", Problem: "cannot be parsed"}
	}
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, &config.Error{Name: "IMSHIFT_REDIS_URL", Problem: "Redis does not answer PING (" + redisProblem(err, opts) + ")"}
	}
	return rdb, nil
}

// quietRedis drops go-redis's own log lines: they quote the address, and
// every failure they describe also comes back as an error the caller
// reports (without it).
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// redisProblem is err's text with the address and credentials left out.
func redisProblem(err error, opts *redis.Options) string {
	msg := err.Error()
	for _, v := range []string{opts.Password, opts.Username, opts.Addr} {
		if v != "" {
			msg = strings.ReplaceAll(msg, v, "…")
		}
	}
	return msg
}

// rootCAs is the system pool plus IMSHIFT_TLS_CA_FILE, so the official FCM
// and APNs clients can reach a simulator or emulator with its own CA.
func rootCAs(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		return nil, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(caFile)
	if err != nil || !pool.AppendCertsFromPEM(pem) {
		return nil, &config.Error{Name: "IMSHIFT_TLS_CA_FILE", Problem: "holds no PEM certificate"}
	}
	return pool, nil
}
