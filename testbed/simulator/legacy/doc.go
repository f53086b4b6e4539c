// Package legacy simulates the chat app's connected clients on the legacy
// Socket.IO stack, for the demo and the end-to-end tests of the traffic
// migration.
//
// A Population holds one simulated client per legacy user id. A client on the
// legacy stack holds presence in Redis exactly as the NestJS gateway writes
// it: on connect SADD presence:user:{userId} socketId and SET
// presence:socket:{socketId} userId, both with a one hour TTL that is renewed
// while connected; on disconnect SREM and DEL.
//
// Run watches the routing table (imshift.routing) the way a gateway would:
// LISTEN on the PostgreSQL channel imshift_routing, re-reading the row on
// every announcement and on a resync interval (a gateway must not depend on
// never missing a notification). The Redis channel imshift:routing carries
// the same announcements, but Redis pub/sub ignores the logical database, so
// parallel tests on separate databases would hear each other; the PostgreSQL
// channel is per database.
//
// MoveDelay after a routing change, every client the rule now sends to OpenIM
// leaves the legacy stack (as a disconnect) and, if it belongs to the success
// share, comes online in OpenIM. The share is decided by a hash of the user
// id, independent of the cohort hash, so SuccessRate 0.8 fails the same 20 %
// of every cohort on every run. A client that failed keeps trying: raising the
// rate with SetSuccessRate brings it online. A client the rule sends back
// (rollback, abort) goes offline in OpenIM and reconnects to the legacy
// stack with a new socket id.
package legacy
