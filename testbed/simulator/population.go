package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/imshift/imshift/activities/migration"
	"github.com/imshift/imshift/internal/db"
	"github.com/imshift/imshift/testbed/simulator/legacy"
)

// population runs the simulated legacy clients of the demo: every user of
// the directory holds Socket.IO presence in Redis and moves to the OpenIM
// simulator when the routing of --migration-id takes it.
func population(args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("population", flag.ExitOnError)
	migrationID := fs.String("migration-id", "demo", "migration whose routing the clients follow")
	dbURL := fs.String("database-url", os.Getenv("IMSHIFT_DATABASE_URL"), "PostgreSQL URL (routing table, directory)")
	redisURL := fs.String("redis-url", os.Getenv("IMSHIFT_REDIS_URL"), "legacy Redis URL")
	openimURL := fs.String("openim-url", "http://127.0.0.1:10002", "OpenIM simulator base URL")
	directory := fs.String("directory", "imshift.demo_users", "table of users to connect")
	rate := fs.Float64("success-rate", 0.97, "share of moved clients that come online in OpenIM")
	delay := fs.Duration("move-delay", 2*time.Second, "delay before clients act on a routing change")
	addr := fs.String("addr", "127.0.0.1:10080", "serves GET /stats and POST /success-rate")
	_ = fs.Parse(args)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	pool, err := db.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	ropts, err := redis.ParseURL(*redisURL)
	if err != nil {
		return fmt.Errorf("--redis-url: %w", err)
	}
	rdb := redis.NewClient(ropts)
	defer rdb.Close()
	pop, err := legacy.New(legacy.Options{
		Redis: rdb, DB: pool, MigrationID: *migrationID,
		OpenIM: &legacy.HTTPOpenIM{BaseURL: *openimURL}, MapID: migration.OpenIMUserID,
		SuccessRate: *rate, MoveDelay: *delay,
	})
	if err != nil {
		return err
	}
	users, err := directoryUsers(ctx, pool, *directory)
	if err != nil {
		return err
	}
	if err := pop.Connect(ctx, users); err != nil {
		return err
	}
	srv := &http.Server{Addr: *addr, Handler: pop.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("population http", "error", err)
		}
	}()
	defer srv.Close()
	log.Info("legacy population connected", "clients", len(users), "migration", *migrationID, "stats", "http://"+*addr+"/stats")
	return pop.Run(ctx)
}

func directoryUsers(ctx context.Context, pool *pgxpool.Pool, table string) ([]string, error) {
	name := pgx.Identifier(strings.Split(table, ".")).Sanitize()
	rows, err := pool.Query(ctx, "SELECT user_id FROM "+name+" ORDER BY user_id")
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", table, err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
