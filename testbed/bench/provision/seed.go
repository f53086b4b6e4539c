package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/imshift/imshift/internal/db"
)

// createDatabase makes a fresh database with imshift's migrations applied
// and returns a pool on it and a function that drops it.
func createDatabase(ctx context.Context, admin string, keep bool) (*pgxpool.Pool, func(), error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return nil, nil, err
	}
	name := "imshift_bench_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return nil, nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, nil, err
	}
	drop := func() {
		if keep {
			fmt.Println("kept database", name)
			return
		}
		c, err := pgx.Connect(context.Background(), admin)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	}
	u, err := url.Parse(admin)
	if err != nil {
		drop()
		return nil, nil, err
	}
	u.Path = "/" + name
	pool, err := db.Open(ctx, u.String())
	if err == nil {
		_, err = db.Migrate(ctx, pool)
	}
	if err != nil {
		drop()
		return nil, nil, err
	}
	return pool, func() { pool.Close(); drop() }, nil
}

// userID is the i-th directory user: mostly ids OpenIM accepts as they are,
// every 50th a UUID, which the migration maps to an escaped OpenIM id.
func userID(i int) string {
	if i%50 == 49 {
		h := sha256.Sum256([]byte(fmt.Sprint("bench-uuid-", i)))
		x := hex.EncodeToString(h[:16])
		return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
	}
	return fmt.Sprintf("demo_%07d", i)
}

// seed copies n users into imshift.demo_users and gives a share of them an
// Android FCM device, generating rows as COPY asks for them.
func seed(ctx context.Context, pool *pgxpool.Pool, n int, fcmShare float64) (int64, error) {
	i := 0
	users, err := pool.CopyFrom(ctx, pgx.Identifier{"imshift", "demo_users"},
		[]string{"user_id", "nickname", "face_url"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			i++
			return []any{userID(i - 1), fmt.Sprint("User ", i-1), fmt.Sprintf("https://cdn.example.com/a/%d.png", i-1)}, nil
		}))
	if err != nil || fcmShare <= 0 {
		return 0, err
	}
	every := max(1, int(1/fcmShare))
	j := 0
	devices, err := pool.CopyFrom(ctx, pgx.Identifier{"imshift", "devices"},
		[]string{"user_id", "platform", "provider", "token"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if j >= n {
				return nil, nil
			}
			row := []any{userID(j), "android", "fcm", fmt.Sprintf("bench-fcm-token-%d", j)}
			j += every
			return row, nil
		}))
	if users != int64(n) && err == nil {
		err = fmt.Errorf("seeded %d users of %d", users, n)
	}
	return devices, err
}
