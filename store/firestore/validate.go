package firestore

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

// Limits shared with the SQLite store, so a record one backend accepts the
// other accepts too.
const (
	maxIDLen       = 256
	maxTextLen     = 4000 // reasons, sentences, comments, queries
	maxAssets      = 1000
	maxApprovers   = 1000
	maxRecordBytes = 256 << 10
	// maxAuditBytes leaves room for an audit entry that carries before and
	// after snapshots of a maximal record, and stays under Firestore's
	// 1 MiB document limit with margin for field names and index entries.
	maxAuditBytes = 900 << 10
)

// invalid builds an ErrInvalid that says exactly what is wrong.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", approvals.ErrInvalid, fmt.Sprintf(format, args...))
}

func checkID(what, id string) error {
	switch {
	case id == "":
		return invalid("%s is empty", what)
	case len(id) > maxIDLen:
		return invalid("%s is %d bytes, more than %d", what, len(id), maxIDLen)
	case !utf8.ValidString(id):
		return invalid("%s is not valid UTF-8", what)
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return invalid("%s %q contains a control character", what, id)
		}
	}
	return nil
}

func checkOptionalID(what, id string) error {
	if id == "" {
		return nil
	}
	return checkID(what, id)
}

func checkText(what, s string, limit int) error {
	if n := utf8.RuneCountInString(s); n > limit {
		return invalid("%s is %d characters, more than %d", what, n, limit)
	}
	if !utf8.ValidString(s) {
		return invalid("%s is not valid UTF-8", what)
	}
	return nil
}

// timeInRange: times are stored as int64 Unix nanoseconds, which cover the
// years 1678 to 2262.
func checkTime(what string, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	if y := t.Year(); y < 1678 || y > 2261 {
		return invalid("%s %s is outside the years 1678-2261", what, t.Format(time.RFC3339))
	}
	return nil
}

// checkSize rejects a record whose encoded form exceeds limit. JSON is a
// close, slightly generous estimate of Firestore's own size accounting.
func checkSize(what string, v any, limit int) error {
	b, err := json.Marshal(v)
	if err != nil {
		return invalid("%s cannot be encoded: %v", what, err)
	}
	if len(b) > limit {
		return invalid("%s is %d KiB encoded, more than the %d KiB a record may take", what, len(b)>>10, limit>>10)
	}
	return nil
}

func validAction(a policy.Action) bool { return a == policy.Read || a == policy.Write }

func validRequestState(s approvals.RequestState) bool {
	switch s {
	case approvals.StatePending, approvals.StateApproved, approvals.StateDenied,
		approvals.StateCancelled, approvals.StateExpired, approvals.StateRevoked:
		return true
	}
	return false
}

func validatePolicy(p policy.Policy) error {
	if err := checkID("policy id", p.ID); err != nil {
		return err
	}
	switch p.Effect {
	case policy.Allow, policy.Deny, policy.Mask:
	default:
		return invalid("policy %s: effect %q is not allow, deny or mask", p.ID, p.Effect)
	}
	if !validAction(p.Action) {
		return invalid("policy %s: action %q is not read or write", p.ID, p.Action)
	}
	if p.Duration < 0 {
		return invalid("policy %s: duration %s is negative", p.ID, time.Duration(p.Duration))
	}
	if err := checkText("policy "+p.ID+": name", p.Name, maxTextLen); err != nil {
		return err
	}
	if err := checkText("policy "+p.ID+": sentence", p.Sentence, maxTextLen); err != nil {
		return err
	}
	if err := checkOptionalID("policy "+p.ID+": created_by", p.CreatedBy); err != nil {
		return err
	}
	if err := checkTime("policy "+p.ID+": created_at", p.CreatedAt); err != nil {
		return err
	}
	return checkSize("policy "+p.ID, p, maxRecordBytes)
}

func validateRequest(r approvals.Request) error {
	if err := checkID("request id", r.ID); err != nil {
		return err
	}
	where := "request " + r.ID
	if err := checkID(where+": requester", r.Requester); err != nil {
		return err
	}
	if len(r.Assets) == 0 {
		return invalid("%s names no assets", where)
	}
	if len(r.Assets) > maxAssets {
		return invalid("%s names %d assets, more than %d", where, len(r.Assets), maxAssets)
	}
	for i, a := range r.Assets {
		if err := checkID(fmt.Sprintf("%s: asset %d", where, i+1), a); err != nil {
			return err
		}
	}
	if len(r.Approvers) > maxApprovers {
		return invalid("%s has %d approvers, more than %d", where, len(r.Approvers), maxApprovers)
	}
	for i, a := range r.Approvers {
		if err := checkID(fmt.Sprintf("%s: approver %d", where, i+1), a); err != nil {
			return err
		}
	}
	if !validAction(r.Action) {
		return invalid("%s: action %q is not read or write", where, r.Action)
	}
	if !validRequestState(r.State) {
		return invalid("%s: state %q is not a request state", where, r.State)
	}
	if r.Duration < 0 {
		return invalid("%s: duration %s is negative", where, r.Duration)
	}
	if r.RequiredApprovals < 0 {
		return invalid("%s: required approvals %d is negative", where, r.RequiredApprovals)
	}
	if err := checkText(where+": reason", r.Reason, maxTextLen); err != nil {
		return err
	}
	if err := checkText(where+": query", r.Query, maxTextLen); err != nil {
		return err
	}
	if err := checkOptionalID(where+": extends_request", r.ExtendsRequest); err != nil {
		return err
	}
	for _, rv := range r.Reviews {
		if err := validateReview(rv); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	for what, t := range map[string]time.Time{"created_at": r.CreatedAt, "updated_at": r.UpdatedAt, "decided_at": r.DecidedAt} {
		if err := checkTime(where+": "+what, t); err != nil {
			return err
		}
	}
	return checkSize(where, r, maxRecordBytes)
}

// validateReview checks what ApplyReview does not: the reviewer is named and
// the comment fits.
func validateReview(rv approvals.Review) error {
	if err := checkID("reviewer", rv.Reviewer); err != nil {
		return err
	}
	if err := checkText("review comment", rv.Comment, maxTextLen); err != nil {
		return err
	}
	return checkTime("review time", rv.At)
}

// prepareAudit fills in an id and time when missing and checks the entry.
func prepareAudit(e approvals.AuditEntry, now time.Time, newID func() string) (approvals.AuditEntry, error) {
	if e.ID == "" {
		e.ID = newID()
	}
	if e.At.IsZero() {
		e.At = now
	}
	e.At = e.At.UTC()
	if err := checkID("audit entry id", e.ID); err != nil {
		return e, err
	}
	if e.Action == "" {
		return e, invalid("audit entry %s has no action", e.ID)
	}
	if e.Subject == "" {
		return e, invalid("audit entry %s has no subject", e.ID)
	}
	if err := checkText("audit entry "+e.ID+": action", e.Action, maxIDLen); err != nil {
		return e, err
	}
	if err := checkText("audit entry "+e.ID+": actor", e.Actor, maxIDLen); err != nil {
		return e, err
	}
	if err := checkText("audit entry "+e.ID+": subject", e.Subject, 2*maxIDLen+32); err != nil {
		return e, err
	}
	if err := checkTime("audit entry "+e.ID+": time", e.At); err != nil {
		return e, err
	}
	return e, checkSize("audit entry "+e.ID, e, maxAuditBytes)
}

func validateGrant(g approvals.Grant) error {
	// Grant ids are request:asset, so up to two ids long.
	if g.ID == "" || len(g.ID) > 2*maxIDLen+1 {
		return invalid("grant id %q is empty or longer than %d bytes", g.ID, 2*maxIDLen+1)
	}
	return checkSize("grant "+g.ID, g, maxRecordBytes)
}
