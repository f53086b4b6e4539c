package presence

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/imshift/imshift/activities/migration"
	"github.com/imshift/imshift/activities/openim"
)

// Sources of an answer.
const (
	SourceOpenIM = "openim"
	SourceLegacy = "legacy"
)

// MaxQueryUsers bounds one presence:query.
const MaxQueryUsers = 1000

// Presence is one user's answer.
type Presence struct {
	UserID    string     `json:"userId"`
	Online    bool       `json:"online"`
	Platforms []string   `json:"platforms"`
	Since     *time.Time `json:"since"`
	Source    string     `json:"source"`
}

// Resolver answers "is this user online" for the whole life of a
// migration: from the facade for users the routing has on OpenIM (everyone
// once legacy presence is off), from the legacy presence:user:{id} sets for
// the others.
type Resolver struct {
	store   *Store
	intake  *intake
	rdb     redis.UniversalClient // holds both the facade and legacy presence
	routing *routingCache
}

// NewResolver reads the routing from db (re-read after routingTTL, see
// RoutingTTL) and presence from rdb.
func NewResolver(db *pgxpool.Pool, rdb redis.UniversalClient, routingTTL time.Duration) *Resolver {
	store := NewStore(rdb)
	return &Resolver{store: store, intake: &intake{store: store}, rdb: rdb, routing: &routingCache{db: db, ttl: routingTTL}}
}

// Apply records one webhook event, batched with the events of concurrent
// requests into one Redis round trip; applied is false for an event older
// than what the facade holds for that platform.
func (r *Resolver) Apply(ctx context.Context, e Event) (applied bool, err error) {
	return r.intake.apply(ctx, e)
}

// Query answers for legacy user ids, in their order, in one Redis round trip.
func (r *Resolver) Query(ctx context.Context, userIDs []string) ([]Presence, error) {
	rt, err := r.routing.get(ctx)
	if err != nil {
		return nil, err
	}
	pipe := r.rdb.Pipeline()
	facade := make([]*redis.MapStringStringCmd, len(userIDs))
	legacy := make([]*redis.IntCmd, len(userIDs))
	for i, id := range userIDs {
		if rt.onOpenIM(id) {
			facade[i] = pipe.HGetAll(ctx, UserKey(migration.OpenIMUserID(id)))
		} else {
			legacy[i] = pipe.SCard(ctx, migration.PresenceUserKey(id))
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("presence: read: %w", err)
	}
	out := make([]Presence, len(userIDs))
	for i, id := range userIDs {
		if facade[i] != nil {
			out[i] = fromFacade(id, parsePlatforms(facade[i].Val()))
			continue
		}
		// The legacy set holds socket ids: no platform, no start time.
		out[i] = Presence{UserID: id, Online: legacy[i].Val() > 0, Platforms: []string{}, Source: SourceLegacy}
	}
	return out, nil
}

// fromFacade: online on the platforms holding a connection, since the
// earliest of them; offline since the latest platform went (unknown when
// the facade never heard of the user).
func fromFacade(userID string, platforms []Platform) Presence {
	p := Presence{UserID: userID, Platforms: []string{}, Source: SourceOpenIM}
	slices.SortFunc(platforms, func(a, b Platform) int { return int(a.ID - b.ID) })
	var online, offline *time.Time
	for _, pl := range platforms {
		since := pl.Since
		if pl.Online {
			p.Platforms = append(p.Platforms, openim.PlatformName(pl.ID))
			if online == nil || since.Before(*online) {
				online = &since
			}
		} else if offline == nil || since.After(*offline) {
			offline = &since
		}
	}
	p.Online = online != nil
	p.Since = offline
	if p.Online {
		p.Since = online
	}
	return p
}
