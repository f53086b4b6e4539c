package openim

import "context"

// UserInfo is OpenIM's user object. createTime is set by the server (Unix
// ms); Ex is opaque to OpenIM (keep the legacy id there). AppMangerLevel is
// spelled as on the wire; send 0 for ordinary users.
type UserInfo struct {
	UserID           string `json:"userID"`
	Nickname         string `json:"nickname"`
	FaceURL          string `json:"faceURL"`
	Ex               string `json:"ex"`
	CreateTime       int64  `json:"createTime"`
	AppMangerLevel   int32  `json:"appMangerLevel"`
	GlobalRecvMsgOpt int32  `json:"globalRecvMsgOpt"`
}

// RegisterReport says what RegisterUsers did with each id, in input order.
type RegisterReport struct {
	Registered     []string // created by this call
	AlreadyExisted []string // were there before, or created meanwhile by someone else
}

// AccountCheck reports for every id whether it is registered. Repeated ids
// are sent once; an empty list makes no request.
func (c *Client) AccountCheck(ctx context.Context, userIDs []string) (map[string]bool, error) {
	if err := checkUserIDs("userIDs", userIDs); err != nil {
		return nil, err
	}
	ids := unique(userIDs)
	registered := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return registered, nil
	}
	var reply struct {
		Results []struct {
			UserID        string `json:"userID"`
			AccountStatus int32  `json:"accountStatus"`
		} `json:"results"`
	}
	if err := c.call(ctx, pathAccountCheck, map[string][]string{"checkUserIDs": ids}, &reply); err != nil {
		return nil, err
	}
	for _, id := range ids {
		registered[id] = false
	}
	for _, r := range reply.Results {
		registered[r.UserID] = r.AccountStatus == 1
	}
	return registered, nil
}

// UserRegister is one raw user_register call: all users are created, or none
// (1102 if any already exists). The batch is checked before sending.
func (c *Client) UserRegister(ctx context.Context, users []UserInfo) error {
	if err := checkUsers(users); err != nil {
		return err
	}
	return c.call(ctx, pathUserRegister, map[string][]UserInfo{"users": users}, nil)
}

// RegisterUsers makes sure every user exists, creating only the missing ones,
// MaxBatch at a time. When a batch loses a race (1102) it checks again and
// registers the rest one by one, counting a per-user 1102 as already there.
// On error the report holds what was done before it.
func (c *Client) RegisterUsers(ctx context.Context, users []UserInfo) (RegisterReport, error) {
	var rep RegisterReport
	if len(users) == 0 {
		return rep, nil
	}
	if err := checkUsers(users); err != nil {
		return rep, err
	}
	for start := 0; start < len(users); start += MaxBatch {
		batch := users[start:min(start+MaxBatch, len(users))]
		created, err := c.registerBatch(ctx, batch)
		rep.add(batch, created)
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// registerBatch returns, for the users it has settled, whether this call
// created them (true) or found them (false).
func (c *Client) registerBatch(ctx context.Context, batch []UserInfo) (map[string]bool, error) {
	created := make(map[string]bool, len(batch))
	missing, err := c.missing(ctx, batch, created)
	if err != nil || len(missing) == 0 {
		return created, err
	}
	err = c.UserRegister(ctx, missing)
	if err == nil {
		for _, u := range missing {
			created[u.UserID] = true
		}
		return created, nil
	}
	if !IsCode(err, CodeRegisteredAlready) {
		return created, err
	}
	// Someone registered part of the batch since account_check.
	if missing, err = c.missing(ctx, missing, created); err != nil {
		return created, err
	}
	for _, u := range missing {
		err := c.UserRegister(ctx, []UserInfo{u})
		switch {
		case err == nil:
			created[u.UserID] = true
		case IsCode(err, CodeRegisteredAlready):
			created[u.UserID] = false
		default:
			return created, err
		}
	}
	return created, nil
}

// missing runs account_check on users, records the registered ones in
// settled as found, and returns the others.
func (c *Client) missing(ctx context.Context, users []UserInfo, settled map[string]bool) ([]UserInfo, error) {
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.UserID
	}
	registered, err := c.AccountCheck(ctx, ids)
	if err != nil {
		return nil, err
	}
	var out []UserInfo
	for _, u := range users {
		if registered[u.UserID] {
			settled[u.UserID] = false
		} else {
			out = append(out, u)
		}
	}
	return out, nil
}

func (r *RegisterReport) add(batch []UserInfo, created map[string]bool) {
	for _, u := range batch {
		isNew, settled := created[u.UserID]
		if !settled {
			continue
		}
		if isNew {
			r.Registered = append(r.Registered, u.UserID)
		} else {
			r.AlreadyExisted = append(r.AlreadyExisted, u.UserID)
		}
	}
}

// GetUsersInfo returns the users that exist among ids; unknown ids are left
// out, as the server does. An empty list makes no request.
func (c *Client) GetUsersInfo(ctx context.Context, ids []string) ([]UserInfo, error) {
	if err := checkUserIDs("ids", ids); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var reply struct {
		UsersInfo []UserInfo `json:"usersInfo"`
	}
	if err := c.call(ctx, pathGetUsersInfo, map[string][]string{"userIDs": ids}, &reply); err != nil {
		return nil, err
	}
	return reply.UsersInfo, nil
}

func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
