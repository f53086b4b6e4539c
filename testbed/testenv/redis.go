package testenv

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis returns a client on a Redis logical database of its own (1..15, taken
// in turn through a counter in database 0), flushed before use, and its URL.
// The legacy key layout (presence:user:*) is fixed, so isolation is by
// database number rather than by key prefix.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	base := getenv("IMSHIFT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
	opts, err := redis.ParseURL(base)
	if err != nil {
		t.Fatalf("testenv: IMSHIFT_TEST_REDIS_URL: %v", err)
	}
	counter := redis.NewClient(opts)
	n, err := counter.Incr(ctx, "imshift:test:next-db").Result()
	counter.Close()
	if err != nil {
		t.Fatalf("testenv: Redis unreachable: %v", err)
	}
	opts.DB = int(n%15) + 1
	c := redis.NewClient(opts)
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("testenv: flush Redis db %d: %v", opts.DB, err)
	}
	t.Cleanup(func() { c.Close() })
	return c, fmt.Sprintf("redis://%s/%d", opts.Addr, opts.DB)
}
