package openimsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
)

type platformDetail struct {
	PlatformID   int32  `json:"platformID"`
	ConnID       string `json:"connID"`
	IsBackground bool   `json:"isBackground"`
	Token        string `json:"token"`
}

type onlineStatus struct {
	UserID               string           `json:"userID"`
	Status               int32            `json:"status"`
	DetailPlatformStatus []platformDetail `json:"detailPlatformStatus"`
}

// getUsersOnlineStatus binds with gin's BindJSON: a body that does not parse
// is HTTP 400 with errCode 500. Admin only; every id comes back, offline ones
// with status 0 and a null detail list.
func getUsersOnlineStatus(s *Server, c caller, body []byte) (any, *apiError) {
	var req struct {
		UserIDs []string `json:"userIDs"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, &apiError{code: codeServerInternal, dlt: err.Error(), status: http.StatusBadRequest}
	}
	if !c.admin {
		return nil, notAdmin(c)
	}
	var out []onlineStatus
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, id := range req.UserIDs {
		st := onlineStatus{UserID: id}
		for _, p := range s.onlinePlatformsLocked(id) {
			cn := s.st.online[id][p]
			st.DetailPlatformStatus = append(st.DetailPlatformStatus,
				platformDetail{PlatformID: p, ConnID: cn.connID, Token: cn.token})
		}
		if st.DetailPlatformStatus != nil {
			st.Status = 1
		}
		out = append(out, st)
	}
	return out, nil
}

// getUsersStatus is the Redis view; any token. platformIDs is [] (not null)
// for an offline user, as in the reference's example.
func getUsersStatus(s *Server, _ caller, body []byte) (any, *apiError) {
	var req struct {
		UserID  string   `json:"userID"`
		UserIDs []string `json:"userIDs"`
	}
	if e := decode(body, &req); e != nil {
		return nil, e
	}
	if len(req.UserIDs) == 0 {
		return nil, argsErr("UserIDs is empty")
	}
	type userStatus struct {
		UserID      string  `json:"userID"`
		Status      int32   `json:"status"`
		PlatformIDs []int32 `json:"platformIDs"`
	}
	list := make([]userStatus, 0, len(req.UserIDs))
	s.mu.RLock()
	for _, id := range req.UserIDs {
		st := userStatus{UserID: id, PlatformIDs: s.onlinePlatformsLocked(id)}
		if len(st.PlatformIDs) > 0 {
			st.Status = 1
		}
		list = append(list, st)
	}
	s.mu.RUnlock()
	return struct {
		StatusList []userStatus `json:"statusList"`
	}{list}, nil
}

// onlinePlatformsLocked returns the user's online platforms in ascending
// order, never nil.
func (s *Server) onlinePlatformsLocked(userID string) []int32 {
	ids := make([]int32, 0, len(s.st.online[userID]))
	for p := range s.st.online[userID] {
		ids = append(ids, p)
	}
	slices.Sort(ids)
	return ids
}

// SetOnline connects or disconnects the user on one platform, as the
// msggateway would see it. Connecting is a login: it issues a user token for
// that platform (kicking older ones, multi-login policy 1), which is the token
// get_users_online_status reports. Disconnecting leaves the token valid.
// The user need not exist; platformID is not checked here. Every change
// fires the presence webhooks as the gateway does (webhook.go).
func (s *Server) SetOnline(userID string, platformID int32, online bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !online {
		if conns := s.st.online[userID]; conns != nil {
			if _, ok := conns[platformID]; !ok {
				return
			}
			delete(conns, platformID)
			if len(conns) == 0 {
				delete(s.st.online, userID)
			}
			s.emitPresence(userID, s.onlinePlatformsLocked(userID), platformID)
		}
		return
	}
	tok, err := s.issueUserTokenLocked(userID, platformID)
	if err != nil {
		panic(fmt.Sprintf("openimsim: signing a token: %v", err)) // HS256 with a non-empty key cannot fail
	}
	s.st.connSeq++
	conns := s.st.online[userID]
	if conns == nil {
		conns = map[int32]conn{}
		s.st.online[userID] = conns
	}
	conns[platformID] = conn{connID: fmt.Sprintf("sim_conn_%d", s.st.connSeq), token: tok}
	s.emitPresence(userID, s.onlinePlatformsLocked(userID), 0)
}
