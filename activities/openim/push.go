package openim

import "context"

// FCMUpdateToken stores fcmToken as the FCM token of (account, platformID),
// replacing any earlier one. expireTime is a TTL in seconds (0 = never
// expires). OpenIM's FCM sender reads only platforms 1 (iOS), 2 (Android)
// and 5 (Web). The token never appears in an error.
func (c *Client) FCMUpdateToken(ctx context.Context, account string, platformID int32, fcmToken string, expireTime int64) error {
	switch {
	case !IsLegalUserID(account):
		return invalidf("account %q is not a legal OpenIM user ID (letters, digits and _ only)", account)
	case fcmToken == "":
		return invalidf("fcmToken is empty")
	case expireTime < 0:
		return invalidf("expireTime %d is negative", expireTime)
	}
	if err := checkPlatform(platformID); err != nil {
		return err
	}
	req := struct {
		PlatformID int32  `json:"platformID"`
		FcmToken   string `json:"fcmToken"`
		Account    string `json:"account"`
		ExpireTime int64  `json:"expireTime"`
	}{platformID, fcmToken, account, expireTime}
	return c.call(ctx, pathFCMUpdateToken, req, nil)
}
