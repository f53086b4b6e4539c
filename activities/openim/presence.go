package openim

import "context"

// PlatformStatus is one live connection as a gateway reports it. Token is
// the user's token on that platform: a credential, never log it.
type PlatformStatus struct {
	PlatformID   int32  `json:"platformID"`
	ConnID       string `json:"connID"`
	IsBackground bool   `json:"isBackground"`
	Token        string `json:"token"`
}

// OnlineStatus is the authoritative, gateway-side presence of one user.
// Offline users have Status 0 and no DetailPlatformStatus.
type OnlineStatus struct {
	UserID               string           `json:"userID"`
	Status               int32            `json:"status"`
	DetailPlatformStatus []PlatformStatus `json:"detailPlatformStatus"`
}

// UserStatus is the Redis-side presence of one user.
type UserStatus struct {
	UserID      string  `json:"userID"`
	Status      int32   `json:"status"`
	PlatformIDs []int32 `json:"platformIDs"`
}

// GetUsersOnlineStatus asks every gateway (admin only); every id comes back.
// Poll a few hundred ids at a time. An empty list makes no request.
func (c *Client) GetUsersOnlineStatus(ctx context.Context, ids []string) ([]OnlineStatus, error) {
	if err := checkUserIDs("ids", ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var out []OnlineStatus
	if err := c.call(ctx, pathGetUsersOnlineStatus, map[string][]string{"userIDs": ids}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// GetUsersStatus reads presence from Redis: cheap, and up to ~1 s behind
// GetUsersOnlineStatus. An empty list makes no request.
func (c *Client) GetUsersStatus(ctx context.Context, ids []string) ([]UserStatus, error) {
	if err := checkUserIDs("ids", ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var reply struct {
		StatusList []UserStatus `json:"statusList"`
	}
	if err := c.call(ctx, pathGetUsersStatus, map[string][]string{"userIDs": ids}, &reply); err != nil {
		return nil, err
	}
	return reply.StatusList, nil
}

// ForceLogout closes the user's connections on one platform (1..10) and
// kicks that platform's tokens. Loop over platforms to evict a user fully.
func (c *Client) ForceLogout(ctx context.Context, userID string, platformID int32) error {
	if err := checkUserIDs("userID", []string{userID}); err != nil {
		return err
	}
	if err := checkPlatform(platformID); err != nil {
		return err
	}
	req := struct {
		PlatformID int32  `json:"platformID"`
		UserID     string `json:"userID"`
	}{platformID, userID}
	return c.call(ctx, pathForceLogout, req, nil)
}
