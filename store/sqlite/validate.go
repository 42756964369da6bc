package sqlite

import (
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

// Limits on what the store accepts. They are generous for real use and keep
// a runaway caller from filling the disk or the audit log.
const (
	maxID        = 256       // characters in any id or user name
	maxText      = 4000      // characters in a reason, comment, sentence or name
	maxAssets    = 1000      // assets in one request
	maxApprovers = 1000      // approvers of one request
	maxRecord    = 256 << 10 // bytes of one stored record
	maxAudit     = 1 << 20   // bytes of one audit entry (it holds two snapshots)
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{approvals.ErrInvalid}, args...)...)
}

// checkID requires a non-empty, printable id of at most maxID characters.
func checkID(field, v string) error {
	if v == "" {
		return invalid("%s is required", field)
	}
	return checkOptionalID(field, v)
}

func checkOptionalID(field, v string) error { return checkKey(field, v, maxID) }

// checkKey is checkOptionalID with its own length limit.
func checkKey(field, v string, max int) error {
	if !utf8.ValidString(v) {
		return invalid("%s is not valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(v); n > max {
		return invalid("%s is %d characters, the limit is %d", field, n, max)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return invalid("%s %q contains a control character", field, v)
		}
	}
	return nil
}

func checkText(field, v string) error {
	if !utf8.ValidString(v) {
		return invalid("%s is not valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(v); n > maxText {
		return invalid("%s is %d characters, the limit is %d", field, n, maxText)
	}
	return nil
}

// Times are stored as int64 unix nanoseconds, which cover 1678 to 2262.
var (
	minTime = time.Unix(0, -1<<63+1)
	maxTime = time.Unix(0, 1<<63-1)
)

func checkTime(field string, t time.Time) error {
	if t.IsZero() {
		return nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return invalid("%s %s is outside the years 1678 to 2262", field, t.Format(time.RFC3339))
	}
	return nil
}

func checkSize(what string, n, max int) error {
	if n > max {
		return invalid("%s is %d bytes, the limit is %d", what, n, max)
	}
	return nil
}

func knownRequestState(s approvals.RequestState) bool {
	switch s {
	case approvals.StatePending, approvals.StateApproved, approvals.StateDenied,
		approvals.StateCancelled, approvals.StateExpired, approvals.StateRevoked:
		return true
	}
	return false
}

func knownAction(a policy.Action) bool { return a == policy.Read || a == policy.Write }

func validateRequest(r approvals.Request) error {
	if err := checkID("request id", r.ID); err != nil {
		return err
	}
	if err := checkID("requester", r.Requester); err != nil {
		return err
	}
	if len(r.Assets) == 0 {
		return invalid("request %s names no assets", r.ID)
	}
	if len(r.Assets) > maxAssets {
		return invalid("request %s names %d assets, the limit is %d", r.ID, len(r.Assets), maxAssets)
	}
	for _, a := range r.Assets {
		if err := checkID("asset id", a); err != nil {
			return err
		}
	}
	if len(r.Approvers) > maxApprovers {
		return invalid("request %s has %d approvers, the limit is %d", r.ID, len(r.Approvers), maxApprovers)
	}
	for _, a := range r.Approvers {
		if err := checkID("approver", a); err != nil {
			return err
		}
	}
	if !knownAction(r.Action) {
		return invalid("request %s: action %q is not read or write", r.ID, r.Action)
	}
	if !knownRequestState(r.State) {
		return invalid("request %s: unknown state %q", r.ID, r.State)
	}
	if r.Duration < 0 {
		return invalid("request %s: negative duration %s", r.ID, r.Duration)
	}
	if r.RequiredApprovals < 0 {
		return invalid("request %s: negative number of required approvals %d", r.ID, r.RequiredApprovals)
	}
	if err := checkText("reason", r.Reason); err != nil {
		return err
	}
	if err := checkText("query", r.Query); err != nil {
		return err
	}
	if err := checkOptionalID("extends_request", r.ExtendsRequest); err != nil {
		return err
	}
	if err := checkOptionalID("decided_by", r.DecidedBy); err != nil {
		return err
	}
	for _, rv := range r.Reviews {
		if err := validateReview(rv); err != nil {
			return err
		}
	}
	for field, t := range map[string]time.Time{"created_at": r.CreatedAt, "updated_at": r.UpdatedAt, "decided_at": r.DecidedAt} {
		if err := checkTime(field, t); err != nil {
			return err
		}
	}
	return nil
}

func validateReview(rv approvals.Review) error {
	if err := checkID("reviewer", rv.Reviewer); err != nil {
		return err
	}
	if err := checkText("comment", rv.Comment); err != nil {
		return err
	}
	return checkTime("review time", rv.At)
}

func validatePolicy(p policy.Policy) error {
	if err := checkID("policy id", p.ID); err != nil {
		return err
	}
	return validatePolicyBody(p)
}

// validatePolicyBody checks everything but the id, which a recommended
// policy may not have yet.
func validatePolicyBody(p policy.Policy) error {
	switch p.Effect {
	case policy.Allow, policy.Deny, policy.Mask:
	default:
		return invalid("policy %s: effect %q is not allow, deny or mask", p.ID, p.Effect)
	}
	if p.Action != "" && !knownAction(p.Action) {
		return invalid("policy %s: action %q is not read or write", p.ID, p.Action)
	}
	if p.Duration < 0 {
		return invalid("policy %s: negative duration %s", p.ID, time.Duration(p.Duration))
	}
	if err := checkText("policy name", p.Name); err != nil {
		return err
	}
	if err := checkText("policy sentence", p.Sentence); err != nil {
		return err
	}
	if err := checkOptionalID("created_by", p.CreatedBy); err != nil {
		return err
	}
	// Every string must survive the JSON round trip unchanged.
	for _, clause := range p.Subjects {
		for _, t := range clause {
			for _, v := range append([]string{t.Attribute, t.Group}, t.Values...) {
				if !utf8.ValidString(v) {
					return invalid("policy %s: subject term %q is not valid UTF-8", p.ID, v)
				}
			}
		}
	}
	for _, c := range p.Objects {
		for _, v := range append(append([]string{c.Asset}, c.AllTags...), c.NoneTags...) {
			if !utf8.ValidString(v) {
				return invalid("policy %s: object %q is not valid UTF-8", p.ID, v)
			}
		}
	}
	return checkTime("policy created_at", p.CreatedAt)
}

// validateAudit checks an entry after the store filled in its defaults.
func validateAudit(e approvals.AuditEntry) error {
	if err := checkID("audit id", e.ID); err != nil {
		return err
	}
	if err := checkID("audit actor", e.Actor); err != nil {
		return err
	}
	if err := checkID("audit action", e.Action); err != nil {
		return err
	}
	if e.Subject == "" {
		return invalid("audit subject is required")
	}
	if err := checkSize("audit subject", len(e.Subject), 1024); err != nil {
		return err
	}
	if err := checkTime("audit time", e.At); err != nil {
		return err
	}
	return checkSize("audit entry "+e.ID, len(e.Before)+len(e.After)+len(e.Detail)+len(e.Subject), maxAudit)
}
