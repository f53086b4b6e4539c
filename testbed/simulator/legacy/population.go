package legacy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/imshift/imshift/internal/cohort"
)

// SetOnliner is what the population needs of OpenIM: connect or disconnect
// a user's client. *openimsim.Server and *HTTPOpenIM implement it.
type SetOnliner interface {
	SetOnline(userID string, platformID int32, online bool)
}

// Defaults for the zero values of Options.
const (
	DefaultPlatformID  int32 = 2 // Android
	DefaultPresenceTTL       = time.Hour
	DefaultResync            = 5 * time.Second
)

// Options configures a Population.
type Options struct {
	Redis       *redis.Client // legacy presence
	DB          *pgxpool.Pool // routing reads and LISTEN
	MigrationID string
	OpenIM      SetOnliner
	// MapID turns a legacy user id into its OpenIM user id (nil: unchanged).
	MapID func(legacy string) string
	// SuccessRate is the share in [0, 1] of moved clients that come online
	// in OpenIM, chosen by hash of the user id.
	SuccessRate float64
	// MoveDelay is how long after reading a routing change clients act on it.
	MoveDelay time.Duration
	// PlatformID is the OpenIM platform the clients connect on (default 2).
	PlatformID int32
	// PresenceTTL is the TTL of the presence keys (default one hour, as the
	// gateway sets it); the keys are renewed every PresenceTTL/3.
	PresenceTTL time.Duration
	// Resync is how often the routing row is re-read without an
	// announcement (default 5 s).
	Resync time.Duration
}

type place int

const (
	offline  place = iota // between stacks: about to (re)connect to Socket.IO
	onLegacy              // connected to Socket.IO
	onOpenIM              // moved and online in OpenIM
	failed                // moved, but could not come online in OpenIM
)

type client struct {
	userID   string // legacy
	openimID string
	socketID string // current Socket.IO connection; "" when not on legacy
	place    place
}

// Population is a set of simulated clients. Its methods are safe for
// concurrent use.
type Population struct {
	opts   Options
	prefix string // socket id prefix, unique per population

	mu      sync.Mutex
	clients map[string]*client
	order   []*client // connection order, for deterministic batches
	rule    cohort.Rule
	row     Routing
	rate    float64
	seq     int64
	lastErr string

	announcements atomic.Int64
	moved         atomic.Int64
	returned      atomic.Int64
	errors        atomic.Int64
}

// New checks the options and returns an empty population.
func New(opts Options) (*Population, error) {
	switch {
	case opts.Redis == nil:
		return nil, errors.New("legacy: Options.Redis is required")
	case opts.DB == nil:
		return nil, errors.New("legacy: Options.DB is required")
	case opts.MigrationID == "":
		return nil, errors.New("legacy: Options.MigrationID is required")
	case opts.OpenIM == nil:
		return nil, errors.New("legacy: Options.OpenIM is required")
	case opts.SuccessRate < 0 || opts.SuccessRate > 1:
		return nil, fmt.Errorf("legacy: SuccessRate %v is outside [0, 1]", opts.SuccessRate)
	}
	if opts.MapID == nil {
		opts.MapID = func(id string) string { return id }
	}
	if opts.PlatformID == 0 {
		opts.PlatformID = DefaultPlatformID
	}
	if opts.PresenceTTL <= 0 {
		opts.PresenceTTL = DefaultPresenceTTL
	}
	if opts.Resync <= 0 {
		opts.Resync = DefaultResync
	}
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	return &Population{
		opts:    opts,
		prefix:  "sim" + hex.EncodeToString(b),
		clients: map[string]*client{},
		row:     Routing{LegacyPresenceEnabled: true, LegacyPushEnabled: true},
		rate:    opts.SuccessRate,
	}, nil
}

// succeeds tells whether userID belongs to the success share at rate r: a
// hash unrelated to the cohort hash, so the share is spread over cohorts.
func succeeds(userID string, r float64) bool {
	h := fnv.New64a()
	h.Write([]byte("legacy-sim-success:" + userID))
	return float64(h.Sum64()%10000) < r*10000
}

// SetSuccessRate changes the success share. Clients that failed and now
// belong to the share come online in OpenIM at once; clients already online
// stay online.
func (p *Population) SetSuccessRate(r float64) error {
	if r < 0 || r > 1 {
		return fmt.Errorf("legacy: success rate %v is outside [0, 1]", r)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rate = r
	for _, c := range p.order {
		if c.place == failed && succeeds(c.userID, r) {
			p.opts.OpenIM.SetOnline(c.openimID, p.opts.PlatformID, true)
			c.place = onOpenIM
		}
	}
	return nil
}

// Connect opens a client for each user id not connected yet, on the stack
// the last routing rule read sends it to. On error no client is added
// (presence keys already written expire with their TTL, as after a gateway
// crash).
func (p *Population) Connect(ctx context.Context, userIDs []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var fresh, toLegacy []*client
	seen := map[string]bool{}
	for _, id := range userIDs {
		if p.clients[id] != nil || seen[id] {
			continue
		}
		seen[id] = true
		c := &client{userID: id, openimID: p.opts.MapID(id)}
		fresh = append(fresh, c)
		if !p.rule.OnOpenIM(id) {
			toLegacy = append(toLegacy, c)
		}
	}
	if err := p.joinLegacyLocked(ctx, toLegacy); err != nil {
		return err
	}
	for _, c := range fresh {
		if c.place == offline {
			p.comeOnlineLocked(c)
		}
		p.clients[c.userID] = c
		p.order = append(p.order, c)
	}
	return nil
}

// Disconnect closes the clients of these user ids, wherever they are.
func (p *Population) Disconnect(ctx context.Context, userIDs []string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var gone []*client
	for _, id := range userIDs {
		if c := p.clients[id]; c != nil {
			gone = append(gone, c)
		}
	}
	if err := p.leaveLegacyLocked(ctx, gone); err != nil {
		return err
	}
	for _, c := range gone {
		if c.place == onOpenIM {
			p.opts.OpenIM.SetOnline(c.openimID, p.opts.PlatformID, false)
		}
		delete(p.clients, c.userID)
	}
	kept := p.order[:0]
	for _, c := range p.order {
		if p.clients[c.userID] == c {
			kept = append(kept, c)
		}
	}
	p.order = kept
	return nil
}

// comeOnlineLocked makes a client that is off the legacy stack try OpenIM.
func (p *Population) comeOnlineLocked(c *client) {
	if succeeds(c.userID, p.rate) {
		p.opts.OpenIM.SetOnline(c.openimID, p.opts.PlatformID, true)
		c.place = onOpenIM
		return
	}
	c.place = failed
}

func (p *Population) newSocketIDLocked() string {
	p.seq++
	return fmt.Sprintf("%s_%d", p.prefix, p.seq)
}
