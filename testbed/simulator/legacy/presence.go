package legacy

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// batch bounds the commands in one Redis pipeline.
const batch = 500

// UserKey and SocketKey are the legacy gateway's presence keys.
func UserKey(userID string) string     { return "presence:user:" + userID }
func SocketKey(socketID string) string { return "presence:socket:" + socketID }

// joinLegacyLocked connects clients to Socket.IO with new socket ids. The
// keys are written only while the routing row keeps legacy presence on (a
// gateway with presence off does not track connections). On error the
// clients' places are unchanged.
func (p *Population) joinLegacyLocked(ctx context.Context, cs []*client) error {
	for _, c := range cs {
		if c.socketID == "" {
			c.socketID = p.newSocketIDLocked()
		}
	}
	if p.row.LegacyPresenceEnabled {
		if err := p.writePresence(ctx, cs); err != nil {
			return err
		}
	}
	for _, c := range cs {
		c.place = onLegacy
	}
	return nil
}

// writePresence is the gateway's connect: SADD, SET, both with the TTL.
// Repeating it changes nothing but the TTLs.
func (p *Population) writePresence(ctx context.Context, cs []*client) error {
	ttl := p.opts.PresenceTTL
	return p.pipelined(ctx, cs, func(pipe redis.Pipeliner, c *client) {
		pipe.SAdd(ctx, UserKey(c.userID), c.socketID)
		pipe.Expire(ctx, UserKey(c.userID), ttl)
		pipe.Set(ctx, SocketKey(c.socketID), c.userID, ttl)
	})
}

// leaveLegacyLocked is the gateway's disconnect for clients on Socket.IO.
// It runs whether or not presence is on: removing what is not there is
// harmless, and keys written before presence was turned off must not stay.
func (p *Population) leaveLegacyLocked(ctx context.Context, cs []*client) error {
	var on []*client
	for _, c := range cs {
		if c.place == onLegacy {
			on = append(on, c)
		}
	}
	err := p.pipelined(ctx, on, func(pipe redis.Pipeliner, c *client) {
		pipe.SRem(ctx, UserKey(c.userID), c.socketID)
		pipe.Del(ctx, SocketKey(c.socketID))
	})
	if err != nil {
		return err
	}
	for _, c := range on {
		c.socketID = ""
	}
	return nil
}

// refreshLocked renews the TTLs of every client on Socket.IO. EXPIRE, not a
// rewrite, so keys deleted by the decommission's cleanup stay deleted.
func (p *Population) refreshLocked(ctx context.Context) error {
	if !p.row.LegacyPresenceEnabled {
		return nil
	}
	var on []*client
	for _, c := range p.order {
		if c.place == onLegacy {
			on = append(on, c)
		}
	}
	ttl := p.opts.PresenceTTL
	return p.pipelined(ctx, on, func(pipe redis.Pipeliner, c *client) {
		pipe.Expire(ctx, UserKey(c.userID), ttl)
		pipe.Expire(ctx, SocketKey(c.socketID), ttl)
	})
}

func (p *Population) pipelined(ctx context.Context, cs []*client, add func(redis.Pipeliner, *client)) error {
	for start := 0; start < len(cs); start += batch {
		end := min(start+batch, len(cs))
		_, err := p.opts.Redis.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for _, c := range cs[start:end] {
				add(pipe, c)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
