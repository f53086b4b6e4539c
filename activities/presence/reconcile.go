package presence

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/activity"

	"github.com/imshift/imshift/activities/openim"
)

// ReconcileInput sizes the pass.
type ReconcileInput struct {
	// PageSize is how many users one OpenIM call carries (default 500).
	PageSize int `json:"pageSize,omitempty"`
}

// ReconcileProgress is the pass's heartbeat and result. Phase "held" walks
// the users the facade holds online (a Redis SCAN cursor); phase
// "provisioned" walks every user provisioned in OpenIM (keyset on the
// OpenIM id) for users whose online event was lost.
type ReconcileProgress struct {
	Phase     string `json:"phase"`
	Cursor    uint64 `json:"cursor"`
	After     string `json:"after"`
	Checked   int64  `json:"checked"`   // users compared with OpenIM
	Corrected int64  `json:"corrected"` // users whose facade state was changed
	Added     int64  `json:"added"`     // platforms set online that OpenIM reports and the facade missed
	Expired   int64  `json:"expired"`   // platforms set offline that OpenIM no longer reports
	Done      bool   `json:"done"`
}

const (
	phaseHeld        = "held"
	phaseProvisioned = "provisioned"
)

// Reconcile makes the facade agree with OpenIM: it re-reads
// /user/get_users_status for every user the facade holds online and every
// provisioned user, confirms each disagreement with the gateways
// (/user/get_users_online_status), and writes OpenIM's answer as events
// timed at the read, so a webhook newer than the read still wins. It
// heartbeats its cursor after every page and resumes from it on a retry.
func (a *Activities) Reconcile(ctx context.Context, in ReconcileInput) (ReconcileProgress, error) {
	size := in.PageSize
	if size <= 0 {
		size = DefaultPageSize
	}
	p := ReconcileProgress{Phase: phaseHeld}
	if activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &p)
	}
	for !p.Done {
		ids, err := a.nextPage(ctx, &p, size)
		if err != nil {
			return p, err
		}
		if err := a.reconcilePage(ctx, ids, &p); err != nil {
			return p, err
		}
		activity.RecordHeartbeat(ctx, p)
		if err := ctx.Err(); err != nil {
			return p, err
		}
	}
	reconcilePasses.Inc()
	return p, nil
}

// nextPage returns the next ids and moves p's cursor, phase and Done.
func (a *Activities) nextPage(ctx context.Context, p *ReconcileProgress, size int) ([]string, error) {
	if p.Phase == phaseHeld {
		ids, next, err := a.store.HeldOnline(ctx, p.Cursor, int64(size))
		if err != nil {
			return nil, err
		}
		p.Cursor = next
		if next == 0 {
			p.Phase = phaseProvisioned
		}
		return ids, nil
	}
	rows, err := a.cfg.DB.Query(ctx, `
		SELECT openim_id FROM imshift.user_id_map WHERE openim_id > $1 ORDER BY openim_id LIMIT $2`, p.After, size)
	if err != nil {
		return nil, fmt.Errorf("presence: read provisioned users: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("presence: read provisioned users: %w", err)
	}
	if len(ids) < size {
		p.Done = true
	}
	if len(ids) > 0 {
		p.After = ids[len(ids)-1]
	}
	return ids, nil
}

// reconcilePage compares one page with OpenIM and writes the differences.
func (a *Activities) reconcilePage(ctx context.Context, ids []string, p *ReconcileProgress) error {
	if len(ids) == 0 {
		return nil
	}
	readAt := time.Now().UnixMilli()
	statuses, err := a.cfg.OpenIM.GetUsersStatus(ctx, ids)
	if err != nil {
		return fmt.Errorf("presence: get_users_status: %w", err)
	}
	reported := make(map[string][]int32, len(statuses))
	for _, s := range statuses {
		reported[s.UserID] = s.PlatformIDs
	}
	held, err := a.store.Get(ctx, ids)
	if err != nil {
		return err
	}
	var disagree []string
	heldBy := make(map[string][]Platform, len(ids))
	for i, id := range ids {
		heldBy[id] = held[i]
		if !sameSet(onlineIDs(held[i]), reported[id]) {
			disagree = append(disagree, id)
		}
	}
	p.Checked += int64(len(ids))
	if len(disagree) == 0 {
		return nil
	}
	// get_users_status is OpenIM's Redis view, up to a second behind the
	// gateways: before changing anything, ask the gateways themselves.
	live, err := a.cfg.OpenIM.GetUsersOnlineStatus(ctx, disagree)
	if err != nil {
		return fmt.Errorf("presence: get_users_online_status: %w", err)
	}
	var events []Event
	for _, s := range live {
		evs := corrections(s, heldBy[s.UserID], readAt)
		if len(evs) == 0 {
			continue
		}
		p.Corrected++
		for _, e := range evs {
			kind := "offline"
			if e.Online {
				kind = "online"
				p.Added++
			} else {
				p.Expired++
			}
			reconcileCorrections.WithLabelValues(kind).Inc()
		}
		events = append(events, evs...)
	}
	return a.store.ApplyAll(ctx, events)
}

// corrections are the events that turn the facade's platforms into the
// gateways' answer, timed at readAt.
func corrections(live openim.OnlineStatus, held []Platform, readAt int64) []Event {
	want := map[int32]bool{}
	var out []Event
	for _, d := range live.DetailPlatformStatus {
		want[d.PlatformID] = true
		if !holdsOnline(held, d.PlatformID) {
			out = append(out, Event{UserID: live.UserID, PlatformID: d.PlatformID, Online: true,
				Seq: readAt, Background: d.IsBackground})
		}
	}
	for _, pl := range held {
		if pl.Online && !want[pl.ID] {
			out = append(out, Event{UserID: live.UserID, PlatformID: pl.ID, Online: false, Seq: readAt})
		}
	}
	return out
}

func holdsOnline(held []Platform, id int32) bool {
	for _, p := range held {
		if p.ID == id && p.Online {
			return true
		}
	}
	return false
}

func onlineIDs(ps []Platform) []int32 {
	var out []int32
	for _, p := range ps {
		if p.Online {
			out = append(out, p.ID)
		}
	}
	return out
}

func sameSet(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			found = found || x == y
		}
		if !found {
			return false
		}
	}
	return true
}
