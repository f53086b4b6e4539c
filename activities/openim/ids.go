package openim

import "unicode"

// MaxBatch is the batch size RegisterUsers uses for account_check and
// user_register. OpenIM sets no cap besides its 8 MiB gRPC limit; 500 is the
// reference's suggestion.
const MaxBatch = 500

// IsLegalUserID reports whether OpenIM accepts id as a userID: non-empty,
// Unicode letters, digits and '_' only (so no '-' and no ':').
func IsLegalUserID(id string) bool {
	if id == "" {
		return false
	}
	for _, r := range id {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
			return false
		}
	}
	return true
}

// checkUserIDs refuses the first illegal id, naming where it is.
func checkUserIDs(field string, ids []string) error {
	for i, id := range ids {
		if !IsLegalUserID(id) {
			return invalidf("%s[%d] %q is not a legal OpenIM user ID (letters, digits and _ only)", field, i, id)
		}
	}
	return nil
}

// checkUsers is user_register's own checks, done before sending so one bad
// user never costs a request: legal ids, no id twice, a nickname for all.
func checkUsers(users []UserInfo) error {
	if len(users) == 0 {
		return invalidf("users is empty")
	}
	seen := make(map[string]int, len(users))
	for i, u := range users {
		if !IsLegalUserID(u.UserID) {
			return invalidf("users[%d].userID %q is not a legal OpenIM user ID (letters, digits and _ only)", i, u.UserID)
		}
		if j, dup := seen[u.UserID]; dup {
			return invalidf("users[%d].userID %q repeats users[%d]", i, u.UserID, j)
		}
		seen[u.UserID] = i
		if u.Nickname == "" {
			return invalidf("users[%d] (%q) has an empty nickname", i, u.UserID)
		}
	}
	return nil
}

// checkPlatform is the server's 1..10 rule (11, HarmonyOS, is refused).
func checkPlatform(platformID int32) error {
	if platformID < PlatformIOS || platformID > PlatformAdmin {
		return invalidf("platformID %d is outside 1..10", platformID)
	}
	return nil
}
