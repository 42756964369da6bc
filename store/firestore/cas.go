package firestore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"time"

	fs "cloud.google.com/go/firestore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/steward-dev/steward/approvals"
)

// Compare-and-set, optimistically.
//
// Every change is read-then-commit: the documents it depends on are read in
// one consistent batch, the change is computed, and all its writes are
// committed in one Firestore transaction whose writes carry preconditions:
// a document that was read must still have the update time it had then (or
// still not exist). If anything changed in between, Firestore rejects the
// whole commit and the change is computed again from a fresh read; so a
// loser of a race sees the winner's result (a decided request, an ended
// grant) and answers accordingly.
//
// Why not read inside the transaction: Firestore's transactional reads take
// locks. In production that is fine, but the emulator's pessimistic locking
// stalls on contention (measured: two concurrent deciders take two seconds,
// twenty never finish within a minute), and the conformance suite races
// fifty. Preconditions give the same guarantee (the commit is atomic and
// applies only if nothing it read has changed) without any lock wait, in
// production and in the emulator alike.

// plan is what one attempt of a change writes.
type plan struct {
	ops    []func(*fs.Transaction) error
	audits []*fs.DocumentRef // audit entries it creates
}

// replace writes data to the document read as snap, provided it is
// unchanged since: updated with an update-time precondition, or created if
// it did not exist.
func (p *plan) replace(snap *fs.DocumentSnapshot, data any) {
	if !snap.Exists() {
		p.create(snap.Ref, data)
		return
	}
	updates := updatesFor(data)
	at := snap.UpdateTime
	p.ops = append(p.ops, func(tx *fs.Transaction) error {
		return tx.Update(snap.Ref, updates, fs.LastUpdateTime(at))
	})
}

// create writes a document that must not exist yet.
func (p *plan) create(ref *fs.DocumentRef, data any) {
	p.ops = append(p.ops, func(tx *fs.Transaction) error { return tx.Create(ref, data) })
}

// set writes a document unconditionally; only for documents whose
// uniqueness another precondition in the same commit already guarantees.
func (p *plan) set(ref *fs.DocumentRef, data any) {
	p.ops = append(p.ops, func(tx *fs.Transaction) error { return tx.Set(ref, data) })
}

// remove deletes the document read as snap, provided it is unchanged since.
func (p *plan) remove(snap *fs.DocumentSnapshot) {
	if !snap.Exists() {
		return
	}
	at := snap.UpdateTime
	p.ops = append(p.ops, func(tx *fs.Transaction) error { return tx.Delete(snap.Ref, fs.LastUpdateTime(at)) })
}

// casMaxAttempts is high because contention is expected, not exceptional:
// fifty approvers clicking at once is a normal day for a popular request,
// and every loser must end with a *DecidedError, not a contention error.
const casMaxAttempts = 100

// cas reads refs (and, if query is set, the documents it matches), lets
// decide plan the writes, and commits them atomically, starting over when a
// precondition fails. Errors from decide end the call unchanged (wrapped
// with what). The whole call is bounded by the call timeout.
func (s *Store) cas(ctx context.Context, what string, refs []*fs.DocumentRef, query *fs.Query,
	decide func(snaps, matched []*fs.DocumentSnapshot, p *plan) error) error {
	if s.closed.Load() {
		return fmt.Errorf("%s: %w", what, errClosed)
	}
	cctx, cancel := s.callCtx(ctx)
	defer cancel()
	pause := 2 * time.Millisecond
	for attempt := 1; ; attempt++ {
		snaps, err := s.client.GetAll(cctx, refs)
		if err != nil {
			return s.fail(cctx, what, err)
		}
		var matched []*fs.DocumentSnapshot
		if query != nil {
			if matched, err = query.Documents(cctx).GetAll(); err != nil {
				return s.fail(cctx, what, err)
			}
		}
		var p plan
		if err := decide(snaps, matched, &p); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if len(p.ops) == 0 {
			return nil
		}
		err = s.client.RunTransaction(cctx, func(_ context.Context, tx *fs.Transaction) error {
			for _, op := range p.ops {
				if err := op(tx); err != nil {
					return err
				}
			}
			return nil
		}, fs.MaxAttempts(1))
		if err == nil {
			return nil
		}
		if status.Code(err) == codes.AlreadyExists && len(p.audits) > 0 {
			// An audit id the caller reused is a conflict, not contention:
			// retrying would never succeed.
			taken, gerr := s.client.GetAll(cctx, p.audits)
			if gerr != nil {
				return s.fail(cctx, what, gerr)
			}
			for _, snap := range taken {
				if snap.Exists() {
					return fmt.Errorf("%s: %w: audit entry %s is already in the log; entries are never overwritten",
						what, approvals.ErrConflict, snap.Ref.ID)
				}
			}
		}
		switch status.Code(err) {
		case codes.FailedPrecondition, codes.AlreadyExists, codes.NotFound, codes.Aborted:
			// Someone else changed what we read: read again and recompute.
		default:
			return s.fail(cctx, what, err)
		}
		if attempt >= casMaxAttempts {
			return fmt.Errorf("%s: still contended after %d attempts (%s): %w", what, attempt, s.where, err)
		}
		sleep := pause/2 + time.Duration(rand.Int64N(int64(pause)))
		pause = min(pause*3/2, 200*time.Millisecond)
		select {
		case <-cctx.Done():
			return s.fail(cctx, what, cctx.Err())
		case <-time.After(sleep):
		}
	}
}

// decodeSnap decodes snap into into; ok is false when it does not exist.
func decodeSnap(snap *fs.DocumentSnapshot, into any) (ok bool, err error) {
	if !snap.Exists() {
		return false, nil
	}
	if err := snap.DataTo(into); err != nil {
		return false, fmt.Errorf("decoding %s: %w", snap.Ref.Path, err)
	}
	return true, nil
}

// updatesFor turns a record struct into an Update of every one of its
// fields, so that an update with a precondition replaces the whole document
// just as Set would: empty omitempty fields are deleted, not left behind.
func updatesFor(data any) []fs.Update {
	var out []fs.Update
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("firestore")
			if f.Anonymous && tag == "" {
				walk(v.Field(i))
				continue
			}
			if !f.IsExported() || tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			if name == "" {
				name = f.Name
			}
			fv := v.Field(i)
			if strings.Contains(opts, "omitempty") && isEmpty(fv) {
				out = append(out, fs.Update{Path: name, Value: fs.Delete})
				continue
			}
			out = append(out, fs.Update{Path: name, Value: fv.Interface()})
		}
	}
	walk(reflect.Indirect(reflect.ValueOf(data)))
	return out
}

// isEmpty is Firestore's (and encoding/json's) notion of an omitempty value.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	}
	if t, ok := v.Interface().(time.Time); ok {
		return t.IsZero()
	}
	return false
}
