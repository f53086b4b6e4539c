// Package devicefill fills a device registry fast (COPY) with a synthetic
// population for the benchmarks and the production-topology test: device i
// of n is FCM (Android) for even i and APNs (iOS) for odd i, so every page of
// a campaign mixes both providers as a real registry would.
package devicefill

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// FCMToken and APNsToken are device i's token (each valid only for its
// provider's parity).
func FCMToken(i int) string  { return fmt.Sprintf("bench-%08d:APA91b", i) }
func APNsToken(i int) string { return fmt.Sprintf("%064x", 0xbe0000000+i) }

var zones = []string{"Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC"}
var locales = []string{"de-DE", "en-US", "ja-JP", "en-GB"}

// Devices COPYs n devices into imshift.devices (two per user, four time
// zones and locales in turn) and analyzes the table.
func Devices(ctx context.Context, pool *pgxpool.Pool, n int) error {
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		row := []any{fmt.Sprintf("user-%d", i/2), "android", "fcm", FCMToken(i), "com.example.chat", locales[i%4], zones[i%4]}
		if i%2 == 1 {
			row[1], row[2], row[3] = "ios", "apns", APNsToken(i)
		}
		i++
		return row, nil
	})
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"imshift", "devices"},
		[]string{"user_id", "platform", "provider", "token", "app_id", "locale", "time_zone"}, src)
	if err != nil {
		return fmt.Errorf("devicefill: %w", err)
	}
	_, err = pool.Exec(ctx, "ANALYZE imshift.devices")
	return err
}
