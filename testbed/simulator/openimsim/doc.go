// Package openimsim is an in-memory OpenIM server (v3.8.3 admin REST API) for
// tests, the demo and benchmarks. It follows shared/reference/openim-admin-api.md:
// the same paths, headers, envelope, error codes and errMsg names, real HS256
// JWTs signed with the secret, the check order of every endpoint, and the
// all-or-nothing user_register.
//
// Only what imshift calls is served: /auth/get_admin_token, /auth/get_user_token,
// /auth/parse_token, /auth/force_logout, /user/user_register,
// /user/account_check, /user/get_users_info, /user/get_users_online_status,
// /user/get_users_status and /third/fcm_update_token. Everything else is a 404.
//
// What differs from a real deployment, on purpose:
//   - presence is whatever SetOnline says (going online is a login on that
//     platform); get_users_status and get_users_online_status always agree;
//   - errDlt texts quoted in the reference are exact, the others are the
//     protocol's Check texts or our own short wording;
//   - the clock can be moved forward (AdvanceClock) to expire tokens without
//     waiting.
//
// A test drives it with Go methods, and another process with the JSON control
// surface under /_sim/ (see control.go). Users live in one map, so a million
// of them cost a few hundred bytes each and no goroutines.
package openimsim
