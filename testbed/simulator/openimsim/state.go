package openimsim

import (
	"errors"
	"strconv"
	"time"
)

// Reset returns the server to the state New left it in: only the admin
// accounts, the configured secret and latency, the real clock, no tokens,
// presence, FCM tokens, faults or counts.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st = newStore(s.opts.Secret)
	now := time.Now().UnixMilli()
	for id := range s.admins {
		s.st.users[id] = userRec{nickname: id, createTime: now, level: 3}
	}
	for _, n := range s.requests {
		n.Store(0)
	}
	s.latency.Store(int64(s.opts.Latency))
	s.clockOffset.Store(0)
}

// RotateSecret changes the shared secret and JWT key: every token issued
// before then fails with 1505, and get_admin_token wants the new secret.
func (s *Server) RotateSecret(newSecret string) error {
	if newSecret == "" {
		return errors.New("openimsim: the secret must not be empty")
	}
	s.mu.Lock()
	s.st.secret = newSecret
	s.mu.Unlock()
	return nil
}

// SetLatency sets the delay added before every API answer.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// AdvanceClock moves the server's clock by d (negative moves it back). Token
// expiry, nbf, createTime and FCM token TTLs all use this clock.
func (s *Server) AdvanceClock(d time.Duration) { s.clockOffset.Add(int64(d)) }

// DeleteUser removes a user as if deleted from the database (OpenIM has no
// API for it). It reports whether the user existed. Deleting an admin account
// makes get_admin_token answer 1004 for it.
func (s *Server) DeleteUser(userID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.st.users[userID]
	delete(s.st.users, userID)
	return ok
}

// Counters is a snapshot of what the server has seen since the last Reset.
type Counters struct {
	// Users is the number of accounts created by user_register; the admin
	// accounts are not counted.
	Users int `json:"users"`
	// Requests counts POSTs per API path (zero for untouched paths),
	// whatever their outcome, faults included.
	Requests map[string]int64 `json:"requests"`
	// RegisterRequests is, per user id, how many user_register requests
	// named it once they passed authentication and validation (refused ones
	// with 1102 included). 1 everywhere means every user was sent once.
	RegisterRequests map[string]int `json:"registerRequests"`
	// MaxRegisterRequests is the largest value of RegisterRequests.
	MaxRegisterRequests int `json:"maxRegisterRequests"`
	// FCMTokens is the number of (user, platform) pairs holding an
	// unexpired FCM token.
	FCMTokens int `json:"fcmTokens"`
	// FCMUpdates counts accepted fcm_update_token calls per "userID:platformID".
	FCMUpdates map[string]int `json:"fcmUpdates"`
	// Online is the number of users online on at least one platform.
	Online int `json:"online"`
}

// Counters returns a full snapshot, per-user maps included.
func (s *Server) Counters() Counters { return s.counters(true) }

// counters scans every user; perUser=false leaves the two maps nil so a
// million-user server answers a summary cheaply.
func (s *Server) counters(perUser bool) Counters {
	c := Counters{Requests: map[string]int64{}}
	for path, n := range s.requests {
		c.Requests[path] = n.Load()
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	c.Users = s.usersLocked()
	c.Online = len(s.st.online)
	if perUser {
		c.RegisterRequests = make(map[string]int, len(s.st.users)+len(s.st.pendingRegReqs))
		c.FCMUpdates = make(map[string]int, len(s.st.fcmUpdates))
		for k, n := range s.st.fcmUpdates {
			c.FCMUpdates[k.userID+":"+strconv.Itoa(int(k.platformID))] = n
		}
	}
	count := func(id string, n int32) {
		if n == 0 {
			return
		}
		c.MaxRegisterRequests = max(c.MaxRegisterRequests, int(n))
		if perUser {
			c.RegisterRequests[id] = int(n)
		}
	}
	for id, u := range s.st.users {
		count(id, u.regReqs)
	}
	for id, n := range s.st.pendingRegReqs {
		count(id, n)
	}
	for k := range s.st.fcm {
		if _, ok := s.fcmTokenLocked(k); ok {
			c.FCMTokens++
		}
	}
	return c
}

func (s *Server) usersLocked() int {
	n := len(s.st.users)
	for id := range s.admins {
		if _, ok := s.st.users[id]; ok {
			n--
		}
	}
	return n
}

// Users is the number of accounts created by user_register (admins excluded).
func (s *Server) Users() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.usersLocked()
}

// Registered reports whether the user exists (admin accounts included).
func (s *Server) Registered(userID string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.st.users[userID]
	return ok
}

// FCMToken returns the unexpired FCM token stored for (userID, platformID).
func (s *Server) FCMToken(userID string, platformID int32) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.fcmTokenLocked(platformKey{userID, platformID})
}

// UserState is everything the server holds about one user id.
type UserState struct {
	UserID            string  `json:"userID"`
	Registered        bool    `json:"registered"`
	Nickname          string  `json:"nickname"`
	Ex                string  `json:"ex"`
	RegisterRequests  int     `json:"registerRequests"`
	OnlinePlatformIDs []int32 `json:"onlinePlatformIDs"`
	// FCMTokens maps platformID to the unexpired token stored for it.
	FCMTokens map[int32]string `json:"fcmTokens"`
}

// User returns the state of one user id (Registered false if unknown).
func (s *Server) User(userID string) UserState {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := UserState{UserID: userID, OnlinePlatformIDs: s.onlinePlatformsLocked(userID), FCMTokens: map[int32]string{}}
	if u, ok := s.st.users[userID]; ok {
		st.Registered, st.Nickname, st.Ex, st.RegisterRequests = true, u.nickname, u.ex, int(u.regReqs)
	} else {
		st.RegisterRequests = int(s.st.pendingRegReqs[userID])
	}
	for p := int32(1); p <= 11; p++ {
		if tok, ok := s.fcmTokenLocked(platformKey{userID, p}); ok {
			st.FCMTokens[p] = tok
		}
	}
	return st
}
