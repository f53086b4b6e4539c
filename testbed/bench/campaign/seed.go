package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/imshift/imshift/internal/db"
)

// benchDB is the throwaway database the bench seeds.
type benchDB struct {
	admin, name, url string
}

func createDB(ctx context.Context, admin string) (*benchDB, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	d := &benchDB{admin: admin, name: "imshift_bench_" + hex.EncodeToString(b)}
	u, err := url.Parse(admin)
	if err != nil {
		return nil, fmt.Errorf("-db: %w", err)
	}
	u.Path = "/" + d.name
	d.url = u.String()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+d.name)
	return d, err
}

// open migrates the database and returns a pool on it.
func (d *benchDB) open(ctx context.Context) (*pgxpool.Pool, error) {
	pool, err := db.Open(ctx, d.url)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return pool, nil
}

func (d *benchDB) drop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		logf("drop %s: %v", d.name, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+d.name+" WITH (FORCE)"); err != nil {
		logf("drop %s: %v", d.name, err)
	}
}

// Device i of n: even ids are FCM (Android), odd APNs (iOS), so every page
// of the campaign mixes both providers as a real registry would.
func fcmToken(i int) string  { return fmt.Sprintf("bench-%08d:APA91b", i) }
func apnsToken(i int) string { return fmt.Sprintf("%064x", 0xbe0000000+i) }

var zones = []string{"Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"}
var locales = []string{"de-DE", "en-US", "ja-JP", "en-GB"}

// seed COPYs n devices into imshift.devices.
func seed(ctx context.Context, pool *pgxpool.Pool, n int) error {
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		row := []any{fmt.Sprintf("user-%d", i/2), "android", "fcm", fcmToken(i), "com.example.chat", locales[i%4], zones[i%4]}
		if i%2 == 1 {
			row[1], row[2], row[3] = "ios", "apns", apnsToken(i)
		}
		i++
		return row, nil
	})
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"imshift", "devices"},
		[]string{"user_id", "platform", "provider", "token", "app_id", "locale", "time_zone"}, src)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	_, err = pool.Exec(ctx, "ANALYZE imshift.devices")
	return err
}
