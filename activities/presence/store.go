package presence

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Keys of the facade in Redis (IMSHIFT_REDIS_URL). A user's hash holds one
// field per OpenIM platform id, "state|seq|since|background": state 1
// online or 0 offline, seq the OpenIM millisecond time of the newest event
// applied, since when that state began, background 1 for an app in the
// background. The sorted set lists every user holding at least one online
// platform, scored by since: what the reconcile walks.
const (
	userKeyPrefix = "imshift:presence:u:"
	OnlineSetKey  = "imshift:presence:online"
)

// tombstoneTTL keeps a fully offline user's hash (its seqs guard against a
// late, older event) for a day, then lets Redis drop it.
const tombstoneTTL = 24 * time.Hour

// UserKey is the facade hash of one OpenIM user.
func UserKey(openimID string) string { return userKeyPrefix + openimID }

// applyScript applies one platform event unless a newer one (higher seq) was
// applied already, keeps since when the state does not change, and keeps the
// online set and the key's lifetime in step with the user's platforms.
var applyScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
local seq = tonumber(ARGV[2])
local since = seq
if cur then
  local st, cseq, csince = string.match(cur, '^(%d)|(%d+)|(%d+)')
  if tonumber(cseq) > seq then return 0 end
  if st == ARGV[3] then since = tonumber(csince) end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. '|' .. seq .. '|' .. since .. '|' .. ARGV[4])
local first = nil
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do
  local st, s, si = string.match(v, '^(%d)|(%d+)|(%d+)')
  si = tonumber(si)
  if st == '1' and (first == nil or si < first) then first = si end
end
if first then
  redis.call('ZADD', KEYS[2], first, ARGV[5])
  redis.call('PERSIST', KEYS[1])
else
  redis.call('ZREM', KEYS[2], ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
end
return 1`)

// Event is one platform's change as OpenIM reports it.
type Event struct {
	UserID     string // OpenIM user id
	PlatformID int32
	Online     bool
	Seq        int64 // OpenIM's millisecond timestamp of the change
	Background bool
}

// Platform is one platform's state in the facade.
type Platform struct {
	ID         int32
	Online     bool
	Since      time.Time
	Background bool
}

// Store is the presence facade: OpenIM's connection state as its webhooks
// and the reconcile reported it. Safe for concurrent use.
type Store struct {
	rdb redis.UniversalClient
}

// NewStore returns the facade on rdb.
func NewStore(rdb redis.UniversalClient) *Store { return &Store{rdb: rdb} }

// ApplyAll records several events in one round trip.
func (s *Store) ApplyAll(ctx context.Context, events []Event) error {
	_, err := s.applyAll(ctx, events)
	return err
}

// applyAll pipelines the script once per event and reports which events
// were applied. A Redis that lost its script cache (restart, SCRIPT FLUSH)
// gets the script loaded and the batch sent again: applying is idempotent.
func (s *Store) applyAll(ctx context.Context, events []Event) ([]bool, error) {
	if len(events) == 0 {
		return nil, nil
	}
	res, err := s.pipeApply(ctx, events)
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		if err = applyScript.Load(ctx, s.rdb).Err(); err == nil {
			res, err = s.pipeApply(ctx, events)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("presence: apply %d events: %w", len(events), err)
	}
	return res, nil
}

func (s *Store) pipeApply(ctx context.Context, events []Event) ([]bool, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(events))
	for i, e := range events {
		cmds[i] = applyScript.EvalSha(ctx, pipe, []string{UserKey(e.UserID), OnlineSetKey},
			e.PlatformID, e.Seq, flag(e.Online), flag(e.Background), e.UserID, tombstoneTTL.Milliseconds())
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	out := make([]bool, len(cmds))
	for i, c := range cmds {
		n, _ := c.Int()
		out[i] = n == 1
	}
	return out, nil
}

// queueGet adds the reads of users' hashes to pipe.
func queueGet(ctx context.Context, pipe redis.Pipeliner, openimIDs []string) []*redis.MapStringStringCmd {
	cmds := make([]*redis.MapStringStringCmd, len(openimIDs))
	for i, id := range openimIDs {
		cmds[i] = pipe.HGetAll(ctx, UserKey(id))
	}
	return cmds
}

// Get returns every user's platforms (nil for a user the facade does not
// know), in the order of openimIDs.
func (s *Store) Get(ctx context.Context, openimIDs []string) ([][]Platform, error) {
	pipe := s.rdb.Pipeline()
	cmds := queueGet(ctx, pipe, openimIDs)
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return nil, fmt.Errorf("presence: read facade: %w", err)
	}
	out := make([][]Platform, len(cmds))
	for i, c := range cmds {
		out[i] = parsePlatforms(c.Val())
	}
	return out, nil
}

// HeldOnline returns a page of users the facade holds online, for a SCAN
// cursor (0 starts; a returned 0 means done). A user may appear twice.
func (s *Store) HeldOnline(ctx context.Context, cursor uint64, count int64) ([]string, uint64, error) {
	raw, next, err := s.rdb.ZScan(ctx, OnlineSetKey, cursor, "", count).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("presence: scan %s: %w", OnlineSetKey, err)
	}
	ids := make([]string, 0, len(raw)/2)
	for i := 0; i < len(raw); i += 2 { // member, score pairs
		ids = append(ids, raw[i])
	}
	return ids, next, nil
}

// HeldOnlineCount is how many users the facade holds online.
func (s *Store) HeldOnlineCount(ctx context.Context) (int64, error) {
	return s.rdb.ZCard(ctx, OnlineSetKey).Result()
}

// parsePlatforms reads a user's hash; fields that do not parse are skipped
// (nothing but the script writes them).
func parsePlatforms(fields map[string]string) []Platform {
	if len(fields) == 0 {
		return nil
	}
	out := make([]Platform, 0, len(fields))
	for k, v := range fields {
		id, err := strconv.ParseInt(k, 10, 32)
		parts := strings.Split(v, "|")
		if err != nil || len(parts) != 4 {
			continue
		}
		since, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil {
			continue
		}
		out = append(out, Platform{ID: int32(id), Online: parts[0] == "1",
			Since: time.UnixMilli(since).UTC(), Background: parts[3] == "1"})
	}
	return out
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
