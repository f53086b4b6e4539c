package openimsim

import (
	"unicode"
)

// userInfo is sdkws.UserInfo on the wire: no omitempty.
type userInfo struct {
	UserID           string `json:"userID"`
	Nickname         string `json:"nickname"`
	FaceURL          string `json:"faceURL"`
	Ex               string `json:"ex"`
	CreateTime       int64  `json:"createTime"`
	AppMangerLevel   int32  `json:"appMangerLevel"`
	GlobalRecvMsgOpt int32  `json:"globalRecvMsgOpt"`
}

// isLegalUserID is the protocol's check: letters, digits and '_' only. The
// empty id passes here and is refused later with "userID is empty".
func isLegalUserID(id string) bool {
	for _, r := range id {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
			return false
		}
	}
	return true
}

func hasDuplicate(ids []string) bool {
	seen := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		if _, ok := seen[id]; ok {
			return true
		}
		seen[id] = struct{}{}
	}
	return false
}

// userRegister runs the request Check (legal ids, then nicknames), then the
// RPC (empty, admin, repeated, empty id, exists) and inserts all or nothing.
func userRegister(s *Server, c caller, body []byte) (any, *apiError) {
	var req struct {
		Users []*userInfo `json:"users"`
	}
	if e := decode(body, &req); e != nil {
		return nil, e
	}
	if e := checkRegister(req.Users); e != nil {
		return nil, e
	}
	if !c.admin {
		return nil, notAdmin(c)
	}
	ids := make([]string, len(req.Users))
	for i, u := range req.Users {
		ids[i] = u.UserID
	}
	if hasDuplicate(ids) {
		return nil, argsErr("userID repeated")
	}
	for _, id := range ids {
		if id == "" {
			return nil, argsErr("userID is empty")
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.countRegisterRequestsLocked(ids)
	for _, id := range ids {
		if _, ok := s.st.users[id]; ok {
			return nil, newErr(codeRegisteredAlready, "userID registered already")
		}
	}
	now := s.now().UnixMilli()
	for _, u := range req.Users {
		s.st.users[u.UserID] = userRec{
			nickname: u.Nickname, faceURL: u.FaceURL, ex: u.Ex, createTime: now,
			level: u.AppMangerLevel, recvMsgOpt: u.GlobalRecvMsgOpt,
			regReqs: s.st.pendingRegReqs[u.UserID],
		}
		delete(s.st.pendingRegReqs, u.UserID)
	}
	return noData{}, nil
}

func checkRegister(users []*userInfo) *apiError {
	if users == nil {
		return argsErr("users are empty")
	}
	for _, u := range users {
		if u == nil {
			return argsErr("user is empty")
		}
		if !isLegalUserID(u.UserID) {
			return argsErr("userID is legal") // sic
		}
	}
	for _, u := range users {
		if u.Nickname == "" {
			return argsErr("user name is empty")
		}
	}
	if len(users) == 0 {
		return argsErr("users is empty")
	}
	return nil
}

func (s *Server) countRegisterRequestsLocked(ids []string) {
	for _, id := range ids {
		if u, ok := s.st.users[id]; ok {
			u.regReqs++
			s.st.users[id] = u
		} else {
			s.st.pendingRegReqs[id]++
		}
	}
}

func accountCheck(s *Server, c caller, body []byte) (any, *apiError) {
	var req struct {
		CheckUserIDs []string `json:"checkUserIDs"`
	}
	if e := decode(body, &req); e != nil {
		return nil, e
	}
	switch {
	case req.CheckUserIDs == nil:
		return nil, argsErr("CheckUserIDs is empty")
	case hasDuplicate(req.CheckUserIDs):
		return nil, argsErr("userID repeated")
	case !c.admin:
		return nil, notAdmin(c)
	}
	type result struct {
		UserID        string `json:"userID"`
		AccountStatus int32  `json:"accountStatus"`
	}
	var results []result
	s.mu.RLock()
	for _, id := range req.CheckUserIDs {
		r := result{UserID: id}
		if _, ok := s.st.users[id]; ok {
			r.AccountStatus = 1
		}
		results = append(results, r)
	}
	s.mu.RUnlock()
	return struct {
		Results []result `json:"results"`
	}{results}, nil
}

// getUsersInfo leaves unknown ids out without an error; any token may call.
func getUsersInfo(s *Server, _ caller, body []byte) (any, *apiError) {
	var req struct {
		UserIDs []string `json:"userIDs"`
	}
	if e := decode(body, &req); e != nil {
		return nil, e
	}
	if req.UserIDs == nil {
		return nil, argsErr("UserIDs is empty")
	}
	var infos []userInfo
	seen := map[string]bool{}
	s.mu.RLock()
	for _, id := range req.UserIDs {
		u, ok := s.st.users[id]
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		infos = append(infos, userInfo{
			UserID: id, Nickname: u.nickname, FaceURL: u.faceURL, Ex: u.ex,
			CreateTime: u.createTime, AppMangerLevel: u.level, GlobalRecvMsgOpt: u.recvMsgOpt,
		})
	}
	s.mu.RUnlock()
	return struct {
		UsersInfo []userInfo `json:"usersInfo"`
	}{infos}, nil
}
