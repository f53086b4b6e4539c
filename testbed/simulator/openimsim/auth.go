package openimsim

import (
	"encoding/json"
)

type tokenReply struct {
	Token             string `json:"token"`
	ExpireTimeSeconds int64  `json:"expireTimeSeconds"`
}

type userPlatformReq struct {
	PlatformID int32  `json:"platformID"`
	UserID     string `json:"userID"`
}

// decode is the a2r binding step: a body that does not parse is a 1001.
func decode(body []byte, v any) *apiError {
	if err := json.Unmarshal(body, v); err != nil {
		return argsErr(err.Error())
	}
	return nil
}

// getAdminToken checks secret (1002), admin list (1001), existence (1004),
// in that order, and issues a platform-10 token.
func getAdminToken(s *Server, _ caller, body []byte) (any, *apiError) {
	var req struct {
		Secret string `json:"secret"`
		UserID string `json:"userID"`
	}
	if e := decode(body, &req); e != nil {
		return nil, e
	}
	s.mu.RLock()
	secret := s.st.secret
	_, exists := s.st.users[req.UserID]
	s.mu.RUnlock()
	switch {
	case req.Secret != secret:
		return nil, newErr(codeNoPermission, "secret invalid")
	case !s.admins[req.UserID]:
		return nil, newErr(codeArgs, "userID %s is not in imAdminUserID", req.UserID)
	case !exists:
		return nil, newErr(codeRecordNotFound, "userID %s not found", req.UserID)
	}
	tok, err := s.mint(secret, req.UserID, adminPlatformID)
	if err != nil {
		return nil, newErr(codeServerInternal, "%v", err)
	}
	return tokenReply{Token: tok, ExpireTimeSeconds: s.ttlSeconds()}, nil
}

func getUserToken(s *Server, c caller, body []byte) (any, *apiError) {
	var req userPlatformReq
	if e := decode(body, &req); e != nil {
		return nil, e
	}
	if !c.admin {
		return nil, notAdmin(c)
	}
	if req.PlatformID == adminPlatformID {
		return nil, newErr(codeNoPermission, "platformID invalid. platformID must not be adminPlatformID")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, exists := s.st.users[req.UserID]
	switch {
	case !exists:
		return nil, newErr(codeRecordNotFound, "userID %s not found", req.UserID)
	case s.admins[req.UserID]:
		return nil, newErr(codeNoPermission, "don't get Admin token")
	case u.level >= 3:
		return nil, argsErr("app account can`t get token")
	}
	tok, err := s.issueUserTokenLocked(req.UserID, req.PlatformID)
	if err != nil {
		return nil, newErr(codeServerInternal, "%v", err)
	}
	return tokenReply{Token: tok, ExpireTimeSeconds: s.ttlSeconds()}, nil
}

// parseToken answers the absolute exp in expireTimeSeconds, unlike the
// token-issuing calls, which answer a TTL.
func parseToken(s *Server, _ caller, body []byte) (any, *apiError) {
	var req struct {
		Token string `json:"token"`
	}
	if e := decode(body, &req); e != nil {
		return nil, e
	}
	if req.Token == "" {
		return nil, argsErr("userID is empty") // sic, the protocol's Check text
	}
	s.mu.RLock()
	cl, e := s.verifyLocked(req.Token)
	s.mu.RUnlock()
	if e != nil {
		return nil, e
	}
	var exp int64
	if cl.ExpiresAt != nil {
		exp = cl.ExpiresAt.Unix()
	}
	return struct {
		UserID            string `json:"userID"`
		PlatformID        int32  `json:"platformID"`
		ExpireTimeSeconds int64  `json:"expireTimeSeconds"`
	}{cl.UserID, int32(cl.PlatformID), exp}, nil
}

// validPlatform is the request check of force_logout and fcm_update_token:
// 1 (iOS) .. 10 (Admin); 11 (HarmonyOS) is refused.
func validPlatform(id int32) bool { return id >= 1 && id <= adminPlatformID }

func forceLogout(s *Server, c caller, body []byte) (any, *apiError) {
	var req userPlatformReq
	if e := decode(body, &req); e != nil {
		return nil, e
	}
	switch {
	case req.UserID == "":
		return nil, argsErr("userID is empty")
	case !validPlatform(req.PlatformID):
		return nil, argsErr("platformID is invalidate")
	case !c.admin:
		return nil, notAdmin(c)
	}
	s.mu.Lock()
	s.kickLocked(req.UserID, req.PlatformID)
	s.mu.Unlock()
	return noData{}, nil
}
