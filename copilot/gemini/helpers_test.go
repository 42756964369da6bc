package gemini

import (
	"bytes"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/copilot"
	"github.com/steward-dev/steward/internal/testsupport/geminifake"
	"github.com/steward-dev/steward/policy"
)

// testCatalogYAML is a small catalog in the shape of the dev catalog.
const testCatalogYAML = `
attributes:
  job_title:
    description: Job title from the HR system
    values:
      Accountant III: {description: Senior accountant who supports the comptroller}
      Accountant IV: {description: Lead accountant acting as comptroller}
      Fraud Analyst: {description: Investigates suspicious card transactions}
      Customer Service Representative: {description: Answers customer calls}
      Data Analyst: {description: Builds dashboards and reports}
  trainings:
    description: Trainings the user has completed
    values:
      PCI DSS: {description: Payment card data handling}
      Security Awareness: {}
  employment_type:
    values:
      Full-Time: {}
      Seasonal: {description: Holiday-season temporary worker}
      Contractor: {}
groups:
  fraud-squad: {description: Card fraud response team}
users:
  - {id: ana, name: Ana, attributes: {job_title: Accountant IV, trainings: [Security Awareness], employment_type: Full-Time}}
  - {id: jade, name: Jade, groups: [fraud-squad], attributes: {job_title: Fraud Analyst, trainings: [PCI DSS], employment_type: Full-Time}}
  - {id: kofi, name: Kofi, groups: [fraud-squad], attributes: {job_title: Fraud Analyst, employment_type: Contractor}}
  - {id: lena, name: Lena, attributes: {job_title: Customer Service Representative, employment_type: Full-Time}}
  - {id: milo, name: Milo, attributes: {job_title: Customer Service Representative, employment_type: Seasonal}}
  - {id: nia, name: Nia, attributes: {job_title: Data Analyst, employment_type: Full-Time}}
tags:
  Discovered.Entity.Credit Card Number: {description: Payment card numbers}
  Discovered.Entity.Bank Account Number: {description: Bank account numbers}
  Discovered.Entity.Email Address: {description: Email addresses}
  PCI: {description: Payment card data in PCI DSS scope}
  PII: {description: Personally identifiable information}
  Classification.Public: {}
assets:
  - {id: pg.cards.transactions, name: cards.transactions, owner: jade, tags: [Discovered.Entity.Credit Card Number, PCI]}
  - {id: pg.customers.profiles, name: customers.profiles, owner: nia, tags: [PII, Discovered.Entity.Email Address]}
  - {id: pg.finance.supplier_bank_details, name: finance.supplier_bank_details, owner: ana, tags: [Discovered.Entity.Bank Account Number]}
  - {id: pg.public.store_locations, name: public.store_locations, owner: ana, tags: [Classification.Public]}
`

func testCatalog(t testing.TB) *policy.Catalog {
	t.Helper()
	cat, err := policy.ParseCatalog("test-catalog.yaml", []byte(testCatalogYAML))
	require.NoError(t, err)
	return cat
}

// catalogRefs is every reference the catalog supports, computed straight
// from the catalog (not through retrieval).
func catalogRefs(cat *policy.Catalog) map[string]bool {
	out := map[string]bool{}
	for k, a := range cat.Attributes {
		for v := range a.Values {
			out["attribute:"+k+"="+v] = true
		}
	}
	for g := range cat.Groups {
		out["group:"+g] = true
	}
	for tg := range cat.Tags {
		out["tag:"+tg] = true
	}
	for _, a := range cat.Assets {
		out["asset:"+a.ID] = true
	}
	return out
}

var stopwords = map[string]bool{"the": true, "a": true, "of": true, "and": true, "data": true, "can": true, "who": true, "to": true, "in": true, "not": true}

func words(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		w = strings.TrimSuffix(w, "s")
		if w != "" && !stopwords[w] {
			out = append(out, w)
		}
	}
	return out
}

// overlapCandidates is a plain word-overlap retriever, so that these tests
// pin the engine's behaviour independently of the built-in resolver's
// scoring. The end-to-end tests use copilot.Candidates itself.
func overlapCandidates(cat *policy.Catalog, phrase string, k int) []copilot.Match {
	want := words(phrase)
	score := func(texts ...string) float64 {
		have := map[string]bool{}
		for _, t := range texts {
			for _, w := range words(t) {
				have[w] = true
			}
		}
		n := 0
		for _, w := range want {
			if have[w] {
				n++
			}
		}
		if len(want) == 0 {
			return 0
		}
		return float64(n) / float64(len(want))
	}
	var out []copilot.Match
	add := func(m copilot.Match) {
		if m.Score > 0 {
			m.Why = "shares words with " + phrase
			out = append(out, m)
		}
	}
	for key, a := range cat.Attributes {
		for v, val := range a.Values {
			add(copilot.Match{Kind: "attribute", Key: key, Value: v, Score: score(key, v, val.Description)})
		}
	}
	for g, gr := range cat.Groups {
		add(copilot.Match{Kind: "group", Key: g, Score: score(g, gr.Description)})
	}
	for tg, tag := range cat.Tags {
		add(copilot.Match{Kind: "tag", Key: tg, Score: score(tg, tag.Description)})
	}
	for _, a := range cat.Assets {
		add(copilot.Match{Kind: "asset", Key: a.ID, Score: score(a.ID, a.Name)})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return ref(out[i]) < ref(out[j])
	})
	if len(out) > k {
		out = out[:k]
	}
	return out
}

// syncBuffer is a log sink tests can read while the engine writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type testEngine struct {
	*Engine
	srv  *geminifake.Server
	cat  *policy.Catalog
	logs *syncBuffer
}

// newTestEngine starts a fake and an engine pointed at it. change edits the
// Config before New.
func newTestEngine(t *testing.T, change ...func(*Config)) testEngine {
	t.Helper()
	srv := geminifake.New(t)
	logs := &syncBuffer{}
	cfg := Config{
		APIKey:  srv.APIKey,
		BaseURL: srv.URL,
		Timeout: 10 * time.Second,
		Backoff: time.Millisecond,
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, c := range change {
		c(&cfg)
	}
	e, err := New(t.Context(), cfg)
	require.NoError(t, err)
	e.candidates = overlapCandidates
	t.Cleanup(func() {
		if strings.Contains(logs.String(), srv.APIKey) {
			t.Errorf("the API key appeared in the logs:\n%s", logs.String())
		}
	})
	return testEngine{Engine: e, srv: srv, cat: testCatalog(t), logs: logs}
}

func boolp(b bool) *bool { return &b }

// fraudAnswer is a correct answer for fraudSentence.
const fraudSentence = "Fraud analysts who completed PCI training can read credit card numbers."

func fraudAnswer() answer {
	return answer{
		IsPolicy: boolp(true),
		Effect:   "allow",
		Action:   "read",
		Duration: "",
		Subjects: []subjectAnswer{{
			Phrase: "Fraud analysts",
			Terms:  []termAnswer{{AnyOf: []string{"attribute:job_title=Fraud Analyst"}, Why: "job title Fraud Analyst"}},
		}},
		Conditions: []conditionAnswer{{
			Phrase: "completed PCI training",
			Terms:  []termAnswer{{AnyOf: []string{"attribute:trainings=PCI DSS"}, Why: "PCI DSS training"}},
		}},
		Objects: []objectAnswer{{
			Phrase:  "credit card numbers",
			Clauses: []clauseAnswer{{AllTags: []string{"tag:Discovered.Entity.Credit Card Number"}, Why: "tag for card numbers"}},
		}},
		Unresolved: []string{},
	}
}
