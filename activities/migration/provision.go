package migration

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/imshift/imshift/activities/openim"
	"github.com/imshift/imshift/internal/cohort"
)

// User outcomes as recorded in imshift.migration_users.status.
const (
	statusRegistered = "registered"
	statusExisted    = "existed"
	statusError      = "error"
)

// outcome is what provisioning did for one user.
type outcome struct {
	user     dirUser
	openimID string
	bucket   int
	status   string
	err      string // a short reason, never personal data
	fcm      int    // FCM tokens copied
	apns     int    // APNs devices OpenIM cannot push to
}

func (o outcome) ok() bool { return o.status == statusRegistered || o.status == statusExisted }

// ProvisionStep provisions the users who join the cohort in this step: the
// allow list (with the first step), then every directory user whose bucket
// is in [FromThreshold, ToThreshold) and who is not denied. For each page it
// skips users PostgreSQL already records as done, registers the rest in
// OpenIM (account_check, user_register, the 1102 fallback), copies their FCM
// tokens, counts their APNs devices and records the outcome. It heartbeats
// its progress after every page and, when retried, resumes from the last
// heartbeat instead of starting over. With a page budget it stops at the
// first page end after it and says More.
func (a *Activities) ProvisionStep(ctx context.Context, in ProvisionInput) (ProvisionResult, error) {
	var p ProvisionProgress
	if in.Resume != nil {
		p = *in.Resume
	}
	started := time.Now()
	if activity.HasHeartbeatDetails(ctx) {
		if err := activity.GetHeartbeatDetails(ctx, &p); err != nil {
			p = ProvisionProgress{}
		}
	}
	q, err := a.queries(ctx)
	if err != nil {
		return ProvisionResult{}, err
	}
	if in.IncludeAllow && !p.AllowDone {
		if err := a.provisionAllowList(ctx, in, q, &p); err != nil {
			return ProvisionResult{}, err
		}
	}
	f := newCohortFilter(in.Cohort)
	err = a.scanDirectory(ctx, q, p.Cursor, func(page []dirUser) error {
		var joining []dirUser
		for _, u := range page {
			b := cohort.Bucket(u.ID)
			p.Scanned++
			if f.onOpenIM(u.ID, b) {
				p.CohortSize++
			}
			if f.allow[u.ID] {
				p.AllowFound++
			}
			if f.newInSlice(u.ID, b) {
				joining = append(joining, u)
			}
		}
		p.Selected += int64(len(joining))
		if err := a.provisionUsers(ctx, in.MigrationID, joining, &p); err != nil {
			return err
		}
		p.Cursor = page[len(page)-1].ID
		activity.RecordHeartbeat(ctx, p)
		if in.PageBudget > 0 && time.Since(started) >= in.PageBudget {
			return errPageBudget
		}
		return ctx.Err()
	})
	more := errors.Is(err, errPageBudget)
	if err != nil && !more {
		return ProvisionResult{}, err
	}
	totals, err := a.provisionTotals(ctx, in.MigrationID)
	if err != nil {
		return ProvisionResult{}, err
	}
	return ProvisionResult{ProvisionProgress: p, Totals: totals, More: more}, nil
}

// errPageBudget ends a directory scan whose call has used its page budget.
var errPageBudget = errors.New("page budget used")

// provisionAllowList provisions the allow-listed users the directory holds,
// deny list or not (allow wins), and counts the ones it does not hold.
func (a *Activities) provisionAllowList(ctx context.Context, in ProvisionInput, q directoryQueries, p *ProvisionProgress) error {
	allow := unique(in.AllowUsers)
	users, err := a.readUsers(ctx, q.lookup, allow)
	if err != nil {
		return err
	}
	p.NotInDirectory = int64(len(allow) - len(users))
	p.Selected += int64(len(users))
	if err := a.provisionUsers(ctx, in.MigrationID, users, p); err != nil {
		return err
	}
	p.AllowDone = true
	activity.RecordHeartbeat(ctx, *p)
	return nil
}

// provisionUsers provisions one page of users, openim.MaxBatch at a time.
func (a *Activities) provisionUsers(ctx context.Context, migrationID string, users []dirUser, p *ProvisionProgress) error {
	todo, err := a.notDone(ctx, migrationID, users)
	if err != nil {
		return err
	}
	p.Skipped += int64(len(users) - len(todo))
	for start := 0; start < len(todo); start += openim.MaxBatch {
		chunk := todo[start:min(start+openim.MaxBatch, len(todo))]
		outs, err := a.register(ctx, chunk)
		if err != nil {
			return err
		}
		if err := a.copyTokens(ctx, outs); err != nil {
			return err
		}
		if err := a.record(ctx, migrationID, outs); err != nil {
			return err
		}
		for _, o := range outs {
			p.Done.add(o)
			provisioned.WithLabelValues(migrationID, o.status).Inc()
		}
	}
	return nil
}

func (c *ProvisionCounts) add(o outcome) {
	switch o.status {
	case statusRegistered:
		c.Registered++
	case statusExisted:
		c.AlreadyExisted++
	default:
		c.Errors++
	}
	c.FCMTokensCopied += int64(o.fcm)
	c.DevicesOpenIMCannotPush += int64(o.apns)
}

// register creates the chunk's users in OpenIM. A refusal of the whole batch
// for a bad argument is narrowed down user by user, so one bad user costs
// only itself; other refusals fail the activity.
func (a *Activities) register(ctx context.Context, chunk []dirUser) ([]outcome, error) {
	outs := make([]outcome, len(chunk))
	var infos []openim.UserInfo
	index := map[string]int{}
	for i, u := range chunk {
		o := outcome{user: u, openimID: OpenIMUserID(u.ID), bucket: cohort.Bucket(u.ID)}
		if err := CheckLegacyUserID(u.ID); err != nil {
			o.status, o.err = statusError, "legacy id "+err.Error()
		} else {
			index[o.openimID] = i
			infos = append(infos, userInfo(u, o.openimID))
		}
		outs[i] = o
	}
	rep, err := a.cfg.OpenIM.RegisterUsers(ctx, infos)
	settle(outs, index, rep)
	if err == nil {
		return outs, nil
	}
	if classify(err) != perUser {
		return nil, openimFailure(err)
	}
	for _, info := range infos {
		o := &outs[index[info.UserID]]
		if o.status != "" {
			continue
		}
		rep, err := a.cfg.OpenIM.RegisterUsers(ctx, []openim.UserInfo{info})
		switch {
		case err == nil:
			settle(outs, index, rep)
		case classify(err) == perUser:
			o.status, o.err = statusError, shortReason(err)
		default:
			return nil, openimFailure(err)
		}
	}
	return outs, nil
}

func settle(outs []outcome, index map[string]int, rep openim.RegisterReport) {
	for _, id := range rep.Registered {
		outs[index[id]].status = statusRegistered
	}
	for _, id := range rep.AlreadyExisted {
		outs[index[id]].status = statusExisted
	}
}

// userInfo is the OpenIM user for a directory user. OpenIM needs a
// nickname, so a user without one gets the legacy id; ex keeps the legacy id
// so OpenIM-side tools can find the user in the legacy system.
func userInfo(u dirUser, openimID string) openim.UserInfo {
	nick := u.Nickname
	if nick == "" {
		nick = u.ID
	}
	ex, _ := json.Marshal(map[string]string{"legacyUserId": u.ID})
	return openim.UserInfo{UserID: openimID, Nickname: nick, FaceURL: u.FaceURL, Ex: string(ex)}
}

func unique(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
