package approvals

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
)

var (
	// ErrSelfApproval: the person who asked for access never decides on it.
	ErrSelfApproval = errors.New("the requester cannot review their own request")
	// ErrNotApprover: the reviewer is not an approver for every asset in the request.
	ErrNotApprover = errors.New("not an approver for this request")
	// ErrAlreadyReviewed: one review per person per request.
	ErrAlreadyReviewed = errors.New("already reviewed this request")
)

// ApplyReview is the pure transition a store runs inside its Decide
// transaction: it checks the review against the stored request and returns
// the updated request, the grants an approval creates and the audit entry.
// A deny ends the request; approvals count until RequiredApprovals is reached.
func ApplyReview(r Request, rv Review) (Decision, error) {
	if r.State != StatePending {
		return Decision{}, &DecidedError{RequestID: r.ID, State: r.State, By: r.DecidedBy, At: r.DecidedAt}
	}
	if rv.Verdict != Approve && rv.Verdict != Reject {
		return Decision{}, fmt.Errorf("%w: verdict %q is not approve or deny", ErrInvalid, rv.Verdict)
	}
	if rv.Reviewer == r.Requester {
		return Decision{}, ErrSelfApproval
	}
	if !slices.Contains(r.Approvers, rv.Reviewer) {
		return Decision{}, fmt.Errorf("%w: %s", ErrNotApprover, rv.Reviewer)
	}
	for _, prev := range r.Reviews {
		if prev.Reviewer == rv.Reviewer {
			return Decision{}, fmt.Errorf("%w: %s at %s", ErrAlreadyReviewed, rv.Reviewer, prev.At.UTC().Format("2006-01-02 15:04:05Z"))
		}
	}
	before := snapshot(r)
	r.Reviews = append(slices.Clone(r.Reviews), rv)
	r.UpdatedAt = rv.At
	action := "request.reviewed"
	var grants []Grant
	switch rv.Verdict {
	case Reject:
		r.State, r.DecidedBy, r.DecidedAt = StateDenied, rv.Reviewer, rv.At
		action = "request.denied"
	case Approve:
		if approvalsIn(r) >= max(r.RequiredApprovals, 1) {
			r.State, r.DecidedBy, r.DecidedAt = StateApproved, rv.Reviewer, rv.At
			action = "request.approved"
			grants = GrantsFor(r)
		}
	}
	audit := AuditEntry{
		ID: uuid.NewString(), At: rv.At, Actor: rv.Reviewer, Action: action,
		Subject: "request/" + r.ID, Before: before, After: snapshot(r), Detail: rv.Comment,
	}
	return Decision{Request: r, Grants: grants, Audit: audit}, nil
}

func approvalsIn(r Request) int {
	n := 0
	for _, rv := range r.Reviews {
		if rv.Verdict == Approve {
			n++
		}
	}
	return n
}

// GrantsFor returns the grants an approved request gives, one per asset,
// with ids derived from the request so they can only ever be created once.
func GrantsFor(r Request) []Grant {
	out := make([]Grant, 0, len(r.Assets))
	for _, a := range r.Assets {
		g := Grant{
			ID: r.ID + ":" + a, RequestID: r.ID, User: r.Requester, Asset: a,
			Action: r.Action, GrantedAt: r.DecidedAt, State: GrantActive,
		}
		if r.Duration > 0 {
			g.ExpiresAt = r.DecidedAt.Add(r.Duration)
		}
		out = append(out, g)
	}
	return out
}

// snapshot renders a record as JSON for the audit log.
func snapshot(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}
