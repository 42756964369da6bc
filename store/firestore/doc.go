// Package firestore is the Cloud Firestore implementation of approvals.Store,
// for deployments with several replicas. It passes store/storetest like the
// embedded SQLite store, and keeps every Firestore type inside this package.
//
// # Connecting
//
// Open takes a project (GOOGLE_CLOUD_PROJECT when empty), a database id
// ("(default)" when empty) and, for local work and tests, an emulator
// host:port (FIRESTORE_EMULATOR_HOST when empty). Credentials come from
// Application Default Credentials. Open checks that the database answers, so
// a wrong project or missing permission is reported at startup, not at the
// first click.
//
// # Collections
//
// Document ids are the record ids with '%', '/' and '|' percent-escaped (and
// a leading "__" or a bare "." / ".." escaped), because Firestore reserves
// them; the real id is always also stored as a field.
//
//	policies/{policy}                  latest version of a policy, plus
//	                                   latest_version and retired
//	policies/{policy}/versions/{v}     every version ever saved; v is the
//	                                   version zero-padded to 10 digits
//	requests/{request}                 access requests with their reviews
//	grants/{request}:{asset}           grants; ids come from approvals.GrantsFor
//	audit/{entry}                      append-only audit log (created, never updated)
//	claims/{key}                       idempotency keys with their expiry (long keys: a digest, see claimDocID)
//	leases/{name}                      named leases: holder and expiry
//	messagerefs/{request}/kinds/{kind} Slack message references
//	recerts/{item}                     recertification items
//	recommendations/{id}               recommended policies
//	usage/{user}|{asset}               usage reported by the platforms
//	workspaces/{team}                  Slack workspaces, with the bot token
//
// # Times
//
// Firestore timestamps keep microseconds, but expiry must be exact to the
// nanosecond at the boundary. Every time is therefore stored twice: as a
// timestamp (field "x_at", readable in the console) and as int64 Unix
// nanoseconds (field "x_ns"), which is what the store reads back and queries
// on. A zero time is stored as 0 nanoseconds and no timestamp.
//
// # Consistency
//
// Every change that has an audit entry is committed as one Firestore
// transaction: the record, any records it implies (grants created by an
// approval, grants ended by a revoke) and the audit entry are written
// together or not at all. Compare-and-set is optimistic (see cas.go): the
// documents a change depends on are read, the change is computed (for a
// decision, by approvals.ApplyReview), and the commit carries a
// precondition that each of them still has the update time it was read
// with. When another replica got there first the commit is rejected as a
// whole and the change is recomputed from a fresh read, so the losers of a
// race of deciders see the decided request and get a *approvals.DecidedError.
// Optimistic commits never wait on locks, which also keeps the emulator,
// whose pessimistic transaction locks stall under contention, usable in tests.
//
// # Indexes
//
// The composite indexes the queries need are in
// infra/firestore/firestore.indexes.json (deploy with
// `firebase deploy --only firestore:indexes` or `gcloud firestore indexes
// composite create`). The same file exempts the large free-text fields
// (audit snapshots, reasons, sentences) from single-field indexing.
//
// # Limits
//
// Records are validated before any write. Besides the field limits shared
// with the SQLite store (ids up to 256 characters, reasons and sentences up
// to 4000, at most 1000 assets per request), a record may be at most
// 256 KiB encoded and an audit entry at most 900 KiB, well inside
// Firestore's 1 MiB document limit.
//
// # Faults
//
// Every call has a deadline (Config.CallTimeout, 10 s by default). When
// Firestore cannot be reached the error wraps ErrUnavailable and says what
// was being done; nothing is half-written because every multi-document
// change is a transaction. The client reconnects on its own once Firestore
// is back.
package firestore
