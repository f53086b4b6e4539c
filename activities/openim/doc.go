// Package openim is a small typed client for the OpenIM server's admin REST
// API (v3.8.3), written against shared/reference/openim-admin-api.md because
// openimsdk/tools and openimsdk/protocol cannot be fetched here.
//
// The client gets an admin token from /auth/get_admin_token with the shared
// secret, caches it, refreshes it shortly before its JWT exp, and on a token
// rejection (1501, 1505, 1506, 1507) gets a new one and retries the call once.
// Every request carries a fresh operationID header. Replies are read by their
// errCode, not their HTTP status; any failure is an *Error whose Retryable
// says whether trying again later can help.
//
// User IDs are checked before anything is sent (IsLegalUserID): OpenIM accepts
// only letters, digits and '_', and refuses a whole batch for one bad id.
// Such refusals wrap ErrInvalidArgument and are never retryable.
//
// RegisterUsers is the idempotent way to provision: account_check first,
// user_register only for the missing ones, and a per-user fallback when
// another writer wins the race (1102).
//
// Requests are counted in imshift_openim_requests_total{path,code}.
package openim
