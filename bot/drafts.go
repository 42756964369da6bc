package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/copilot"
	"github.com/steward-dev/steward/policy"
)

// A draft lives in memory for quick access and in the audit log (as a
// "policy.drafted" entry) so that Save works after a restart or on another
// replica. Buttons carry only the draft id.
type draftEntry struct {
	ID       string
	Sentence string
	Policy   policy.Policy
	By       string // catalog user id
	At       time.Time
	Draft    *copilot.Draft // nil when read back from the audit log
	added    time.Time
}

type draftCache struct {
	mu    sync.Mutex
	m     map[string]draftEntry
	order []string
	max   int
	ttl   time.Duration
}

func newDraftCache(max int, ttl time.Duration) *draftCache {
	return &draftCache{m: map[string]draftEntry{}, max: max, ttl: ttl}
}

func (c *draftCache) put(e draftEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.added = time.Now()
	c.m[e.ID] = e
	c.order = append(c.order, e.ID)
	for len(c.order) > c.max {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
}

func (c *draftCache) get(id string) (draftEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if ok && time.Since(e.added) > c.ttl {
		return draftEntry{}, false
	}
	return e, ok
}

func (c *draftCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

type draftRecord struct {
	Sentence string        `json:"sentence"`
	Policy   policy.Policy `json:"policy"`
}

// keepDraft stores a draft and returns its id.
func (b *Bot) keepDraft(ctx context.Context, d copilot.Draft, by string) (string, error) {
	id := newID("d")
	e := draftEntry{ID: id, Sentence: d.Sentence, Policy: *d.Policy, By: by, At: b.now(), Draft: &d}
	rec, err := json.Marshal(draftRecord{Sentence: d.Sentence, Policy: *d.Policy})
	if err != nil {
		return "", fmt.Errorf("encoding draft: %w", err)
	}
	err = b.store.AppendAudit(ctx, approvals.AuditEntry{
		ID: newID("a"), At: b.now(), Actor: by, Action: "policy.drafted", Subject: "draft/" + id,
		After: string(rec), Detail: clamp(d.Sentence, 1000),
	})
	if err != nil {
		return "", fmt.Errorf("recording draft: %w", err)
	}
	b.drafts.put(e)
	return id, nil
}

// loadDraft finds a draft by id in memory or in the audit log.
func (b *Bot) loadDraft(ctx context.Context, id string) (draftEntry, error) {
	if e, ok := b.drafts.get(id); ok {
		return e, nil
	}
	entries, err := b.store.ListAudit(ctx, approvals.AuditFilter{Subject: "draft/" + id, Limit: 5})
	if err != nil {
		return draftEntry{}, fmt.Errorf("loading draft %s: %w", id, err)
	}
	for _, a := range entries {
		if a.Action != "policy.drafted" {
			continue
		}
		var rec draftRecord
		if err := json.Unmarshal([]byte(a.After), &rec); err != nil {
			return draftEntry{}, fmt.Errorf("decoding draft %s: %w", id, err)
		}
		if b.now().Sub(a.At) > 7*24*time.Hour {
			break
		}
		e := draftEntry{ID: id, Sentence: rec.Sentence, Policy: rec.Policy, By: a.Actor, At: a.At}
		b.drafts.put(e)
		return e, nil
	}
	return draftEntry{}, fmt.Errorf("draft %s: %w", id, approvals.ErrNotFound)
}
