package openimsim

// fcmUpdateToken stores one token per (account, platform); any valid token
// may call it for any account (no owner check in v3.8.3). expireTime is a TTL
// in seconds, 0 (or less) = never expires.
func fcmUpdateToken(s *Server, _ caller, body []byte) (any, *apiError) {
	var req struct {
		PlatformID int32  `json:"platformID"`
		FcmToken   string `json:"fcmToken"`
		Account    string `json:"account"`
		ExpireTime int64  `json:"expireTime"`
	}
	if e := decode(body, &req); e != nil {
		return nil, e
	}
	switch {
	case !validPlatform(req.PlatformID):
		return nil, argsErr("platformID is invalidate")
	case req.FcmToken == "":
		return nil, argsErr("FcmToken is empty")
	case req.Account == "":
		return nil, argsErr("account is empty")
	}
	entry := fcmEntry{token: req.FcmToken}
	if req.ExpireTime > 0 {
		entry.expireAt = s.now().Unix() + req.ExpireTime
	}
	key := platformKey{req.Account, req.PlatformID}
	s.mu.Lock()
	s.st.fcm[key] = entry
	s.st.fcmUpdates[key]++
	s.mu.Unlock()
	return noData{}, nil
}

// fcmTokenLocked returns the stored token unless it has expired.
func (s *Server) fcmTokenLocked(key platformKey) (string, bool) {
	e, ok := s.st.fcm[key]
	if !ok || (e.expireAt != 0 && s.now().Unix() >= e.expireAt) {
		return "", false
	}
	return e.token, true
}
