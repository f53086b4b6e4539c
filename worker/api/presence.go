package api

import (
	"fmt"
	"net/http"

	"github.com/imshift/imshift/activities/migration"
	"github.com/imshift/imshift/activities/presence"
)

// maxPresenceQueryBody fits 1 000 ids of the longest legal length.
const maxPresenceQueryBody = 256 << 10

type presenceQuery struct {
	UserIDs []string `json:"userIds"`
}

// getPresence answers one user's presence (docs/presence.md).
func (s *server) getPresence(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("userId")
	if err := migration.CheckLegacyUserID(id); err != nil {
		writeError(w, http.StatusBadRequest, err.Error(), "userId")
		return
	}
	s.answerPresence(w, r, []string{id}, func(list []presence.Presence) any { return list[0] })
}

// queryPresence answers up to 1 000 users with a JSON array, in the order
// asked.
func (s *server) queryPresence(w http.ResponseWriter, r *http.Request) {
	var q presenceQuery
	if e := decodeLimit(w, r, &q, maxPresenceQueryBody); e != nil {
		writeError(w, e.status, e.message, e.field)
		return
	}
	if len(q.UserIDs) == 0 || len(q.UserIDs) > presence.MaxQueryUsers {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("must hold 1 to %d user ids", presence.MaxQueryUsers), "userIds")
		return
	}
	for i, id := range q.UserIDs {
		if err := migration.CheckLegacyUserID(id); err != nil {
			writeError(w, http.StatusBadRequest, err.Error(), fmt.Sprintf("userIds[%d]", i))
			return
		}
	}
	s.answerPresence(w, r, q.UserIDs, func(list []presence.Presence) any { return list })
}

func (s *server) answerPresence(w http.ResponseWriter, r *http.Request, ids []string, shape func([]presence.Presence) any) {
	list, err := s.opts.Presence.Query(r.Context(), ids)
	if err != nil {
		s.log.ErrorContext(r.Context(), "presence query failed", "error", err)
		writeError(w, http.StatusServiceUnavailable, "presence is unavailable; retry", "")
		return
	}
	writeJSON(w, http.StatusOK, shape(list))
}
