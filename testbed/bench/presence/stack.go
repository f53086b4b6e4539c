package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/imshift/imshift/activities/migration"
	"github.com/imshift/imshift/activities/presence"
	"github.com/imshift/imshift/internal/db"
	"github.com/imshift/imshift/testbed/testenv"
	"github.com/imshift/imshift/worker/api"
)

const (
	apiToken      = "presence-bench-token-0123456789"
	webhookSecret = "presence-bench-webhook-0123456789"
)

// stack is the API handler on a loopback port, on its own database.
type stack struct {
	pool  *pgxpool.Pool
	rdb   *redis.Client
	url   string
	users []string
	drop  func()
}

func newStack(ctx context.Context, f flags) (*stack, error) {
	name := fmt.Sprintf("imshift_bench_presence_%d", time.Now().UnixNano())
	admin, err := pgx.Connect(ctx, f.adminDB)
	if err != nil {
		return nil, err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, err
	}
	dbURL := strings.Replace(f.adminDB, "/postgres?", "/"+name+"?", 1)
	s := &stack{drop: func() {
		c, err := pgx.Connect(context.Background(), f.adminDB)
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE "+name+" WITH (FORCE)")
			c.Close(context.Background())
		}
	}}
	if s.pool, err = db.Open(ctx, dbURL); err != nil {
		return s, err
	}
	if _, err := db.Migrate(ctx, s.pool); err != nil {
		return s, err
	}
	if err := seedDemo(ctx, dbURL, f.users); err != nil {
		return s, err
	}
	if s.users, err = demoUsers(ctx, s.pool); err != nil {
		return s, err
	}
	// Half the demo users on OpenIM, as in the middle of a migration.
	if _, err := s.pool.Exec(ctx, `INSERT INTO imshift.routing (migration_id, percent, bucket_threshold)
		VALUES ('bench', 50, 5000)`); err != nil {
		return s, err
	}
	opts, err := redis.ParseURL(f.redisURL)
	if err != nil {
		return s, err
	}
	s.rdb = redis.NewClient(opts)
	return s, s.serve()
}

// seedDemo runs the demo seed exactly as make dev does.
func seedDemo(ctx context.Context, dbURL string, n int) error {
	root, err := testenv.FindModuleRoot()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "psql", dbURL, "-q", "-v", fmt.Sprintf("n=%d", n),
		"-f", filepath.Join(root, "testbed/scripts/demo-seed.sql"))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("demo seed: %v: %s", err, out)
	}
	return nil
}

func demoUsers(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	rows, err := pool.Query(ctx, `SELECT user_id FROM imshift.demo_users ORDER BY user_id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func (s *stack) serve() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	h := api.New(api.Options{
		Tokens:         []string{apiToken},
		Presence:       presence.NewResolver(s.pool, s.rdb, presence.RoutingTTL),
		WebhookSecrets: []string{webhookSecret},
	})
	go func() { _ = http.Serve(ln, h) }()
	s.url = "http://" + ln.Addr().String()
	return nil
}

// cleanup removes the keys the bench wrote and the database.
func (s *stack) cleanup() {
	if s.rdb != nil {
		ctx := context.Background()
		keys := []string{presence.OnlineSetKey}
		for _, u := range s.users {
			keys = append(keys, migration.PresenceUserKey(u), presence.UserKey(migration.OpenIMUserID(u)))
		}
		for i := 0; i < len(keys); i += 1000 {
			s.rdb.Unlink(ctx, keys[i:min(i+1000, len(keys))]...)
		}
		s.rdb.Close()
	}
	if s.pool != nil {
		s.pool.Close()
	}
	s.drop()
}
