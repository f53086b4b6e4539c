package openimsim

// store is everything Reset wipes. It is guarded by Server.mu.
type store struct {
	secret string
	users  map[string]userRec
	// pendingRegReqs counts user_register requests naming ids that were
	// never created; the count moves into userRec when the id is created.
	pendingRegReqs map[string]int32
	// tokens is the Redis token table: user tokens by (user, platform).
	tokens     map[platformKey]map[string]tokenState
	online     map[string]map[int32]conn
	fcm        map[platformKey]fcmEntry
	fcmUpdates map[platformKey]int
	faults     []*faultState
	connSeq    uint64
}

// userRec is one user, stored by value to keep a million of them cheap.
type userRec struct {
	nickname, faceURL, ex string
	createTime            int64
	level, recvMsgOpt     int32
	regReqs               int32
}

type platformKey struct {
	userID     string
	platformID int32
}

type conn struct {
	connID string
	token  string
}

type fcmEntry struct {
	token    string
	expireAt int64 // unix seconds; 0 = never
}

func newStore(secret string) *store {
	return &store{
		secret:         secret,
		users:          map[string]userRec{},
		pendingRegReqs: map[string]int32{},
		tokens:         map[platformKey]map[string]tokenState{},
		online:         map[string]map[int32]conn{},
		fcm:            map[platformKey]fcmEntry{},
		fcmUpdates:     map[platformKey]int{},
	}
}
