package migration

import (
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/imshift/imshift/activities/openim"
)

// Config is what the activities talk to, and how hard.
type Config struct {
	DB     *pgxpool.Pool
	Redis  *redis.Client
	OpenIM *openim.Client
	// Directory is the schema-qualified table or view of legacy users
	// (IMSHIFT_USER_DIRECTORY): user_id text, nickname text, face_url text
	// (optional).
	Directory string
	// PageSize is the number of directory rows read per query (1000).
	PageSize int
	// TokenWorkers is how many fcm_update_token calls run at once (32).
	TokenWorkers int
	// FCMTokenTTL is the expireTime given to copied FCM tokens (30 days):
	// long enough for the user's OpenIM client to register its own token,
	// short enough that a token the legacy store later drops does not live
	// on in OpenIM forever.
	FCMTokenTTL time.Duration
	// ScanCount is the COUNT hint of the presence key SCAN (1000).
	ScanCount int64
}

// Activities are the TrafficMigration activities. Safe for concurrent use.
type Activities struct {
	cfg       Config
	directory pgx.Identifier
}

// New checks cfg and fills in the defaults.
func New(cfg Config) (*Activities, error) {
	schema, table, ok := strings.Cut(cfg.Directory, ".")
	if !ok || schema == "" || table == "" || strings.Contains(table, ".") {
		return nil, fmt.Errorf("user directory %q is not a schema-qualified name like imshift.demo_users", cfg.Directory)
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 1000
	}
	if cfg.TokenWorkers <= 0 {
		cfg.TokenWorkers = 32
	}
	if cfg.FCMTokenTTL <= 0 {
		cfg.FCMTokenTTL = 30 * 24 * time.Hour
	}
	if cfg.ScanCount <= 0 {
		cfg.ScanCount = 1000
	}
	return &Activities{cfg: cfg, directory: pgx.Identifier{schema, table}}, nil
}

// Register puts every migration activity on r under its published name.
func (a *Activities) Register(r worker.ActivityRegistry) {
	r.RegisterActivityWithOptions(a.FlipRouting, activity.RegisterOptions{Name: FlipRoutingName})
	r.RegisterActivityWithOptions(a.ProvisionStep, activity.RegisterOptions{Name: ProvisionStepName})
	r.RegisterActivityWithOptions(a.Analyze, activity.RegisterOptions{Name: AnalyzeName})
	r.RegisterActivityWithOptions(a.CohortSizes, activity.RegisterOptions{Name: CohortSizesName})
	r.RegisterActivityWithOptions(a.DeletePresenceKeys, activity.RegisterOptions{Name: DeletePresenceKeysName})
	r.RegisterActivityWithOptions(a.ReadRouting, activity.RegisterOptions{Name: ReadRoutingName})
}
