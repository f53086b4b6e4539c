package migration

import (
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"
)

// PresencePattern matches every key of the legacy presence layout:
// presence:user:{userId} and presence:socket:{socketId}.
const PresencePattern = "presence:*"

// DeletePresenceKeys removes the legacy presence keys once legacy presence
// is off: SCAN MATCH presence:* COUNT ScanCount, each batch removed with
// UNLINK (never KEYS, never a blocking DEL of millions). It heartbeats the
// SCAN cursor after every batch and resumes from it when retried; a key
// written meanwhile may survive one pass, which is why presence is turned
// off first.
func (a *Activities) DeletePresenceKeys(ctx context.Context, in DeletePresenceInput) (DeletePresenceProgress, error) {
	var p DeletePresenceProgress
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &p); err != nil {
			p = DeletePresenceProgress{}
		}
	}
	for !p.Done {
		keys, next, err := a.cfg.Redis.Scan(ctx, p.Cursor, PresencePattern, a.cfg.ScanCount).Result()
		if err != nil {
			return p, fmt.Errorf("scan %s: %w", PresencePattern, err)
		}
		if len(keys) > 0 {
			n, err := a.cfg.Redis.Unlink(ctx, keys...).Result()
			if err != nil {
				return p, fmt.Errorf("unlink presence keys: %w", err)
			}
			p.Deleted += n
		}
		p.Scanned += int64(len(keys))
		p.Cursor, p.Done = next, next == 0
		activity.RecordHeartbeat(ctx, p)
		if err := ctx.Err(); err != nil {
			return p, err
		}
	}
	return p, nil
}
