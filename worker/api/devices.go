package api

import (
	"context"
	"net/http"
	"time"

	"github.com/imshift/imshift/internal/db"
	"github.com/imshift/imshift/internal/registry"
)

type deviceRequest struct {
	UserID   string `json:"userId"`
	Platform string `json:"platform"`
	Provider string `json:"provider"`
	Token    string `json:"token"`
	AppID    string `json:"appId"`
	Locale   string `json:"locale"`
	TimeZone string `json:"timeZone"`
}

type deleteRequest struct {
	Provider string `json:"provider"`
	Token    string `json:"token"`
}

// deviceView is a device as the API shows it: token masked.
type deviceView struct {
	ID            int64      `json:"id"`
	UserID        string     `json:"userId"`
	Platform      string     `json:"platform"`
	Provider      string     `json:"provider"`
	Token         string     `json:"token"`
	AppID         string     `json:"appId"`
	Locale        string     `json:"locale"`
	TimeZone      string     `json:"timeZone"`
	CreatedAt     time.Time  `json:"createdAt"`
	LastSeenAt    time.Time  `json:"lastSeenAt"`
	InvalidatedAt *time.Time `json:"invalidatedAt,omitempty"`
	InvalidReason string     `json:"invalidReason,omitempty"`
}

// view shows d; masked says d.Token is already masked.
func view(d registry.Device, masked bool) deviceView {
	token := d.Token
	if !masked {
		token = registry.MaskToken(token)
	}
	return deviceView{ID: d.ID, UserID: d.UserID, Platform: d.Platform, Provider: d.Provider, Token: token,
		AppID: d.AppID, Locale: d.Locale, TimeZone: d.TimeZone, CreatedAt: d.CreatedAt, LastSeenAt: d.LastSeenAt,
		InvalidatedAt: d.InvalidatedAt, InvalidReason: d.InvalidReason}
}

// registerDevice upserts: 201 for a new token, 200 for one already known
// (moved to this user, updated, revived if it had been found dead).
func (s *server) registerDevice(w http.ResponseWriter, r *http.Request) {
	var req deviceRequest
	if e := decode(w, r, &req); e != nil {
		writeError(w, e.status, e.message, e.field)
		return
	}
	var (
		d       registry.Device
		created bool
	)
	err := s.retry(r.Context(), func(ctx context.Context) (err error) {
		d, created, err = s.opts.Devices.Upsert(ctx, registry.Device{
			UserID: req.UserID, Platform: req.Platform, Provider: req.Provider, Token: req.Token,
			AppID: req.AppID, Locale: req.Locale, TimeZone: req.TimeZone,
		})
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, view(d, false))
}

// deleteDevice answers 204 whether or not the token was registered, so a
// client may retry a delete safely. Provider and token are normalized as a
// registration normalizes them, so every form POST accepts finds its row.
func (s *server) deleteDevice(w http.ResponseWriter, r *http.Request) {
	var req deleteRequest
	if e := decode(w, r, &req); e != nil {
		writeError(w, e.status, e.message, e.field)
		return
	}
	provider, token, fe := registry.NormalizeKey(req.Provider, req.Token)
	if fe != nil {
		writeError(w, http.StatusBadRequest, fe.Problem, fe.Field)
		return
	}
	err := s.retry(r.Context(), func(ctx context.Context) error {
		_, err := s.opts.Devices.Delete(ctx, provider, token)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type deviceList struct {
	UserID  string       `json:"userId"`
	Devices []deviceView `json:"devices"`
}

func (s *server) listDevices(w http.ResponseWriter, r *http.Request) {
	user := r.PathValue("userId")
	if fe := registry.CheckUserID(user); fe != nil {
		writeError(w, http.StatusBadRequest, fe.Problem, fe.Field)
		return
	}
	var devices []registry.Device
	err := s.retry(r.Context(), func(ctx context.Context) (err error) {
		devices, err = s.opts.Devices.ListByUser(ctx, user)
		return err
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := deviceList{UserID: user, Devices: make([]deviceView, len(devices))}
	for i, d := range devices {
		out.Devices[i] = view(d, true)
	}
	writeJSON(w, http.StatusOK, out)
}

// retry runs a registry call, once more on a fresh connection when the
// pooled one was broken (PostgreSQL restarted): every call here is a read
// or an idempotent write.
func (s *server) retry(ctx context.Context, fn func(context.Context) error) error {
	return db.RetryBroken(ctx, s.opts.DB, fn)
}

// fail answers a validation error with 400 and anything else with 500,
// logging the error (store errors never quote a token).
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if e, ok := fieldError(err); ok {
		writeError(w, e.status, e.message, e.field)
		return
	}
	s.log.ErrorContext(r.Context(), "api request failed", "route", r.Pattern, "error", err)
	writeError(w, http.StatusInternalServerError, "internal error", "")
}
