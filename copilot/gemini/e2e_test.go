package gemini

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/internal/testsupport/geminifake"
	"github.com/steward-dev/steward/policy"
)

// These tests run the engine as shipped: the built-in decomposer, the
// built-in retrieval (copilot.Candidates) and copilot.Finalize, on a copy of
// the dev catalog (testdata/dev_catalog.yaml, from ../shared/eval/dev).

type devCase struct {
	ID       string          `json:"id"`
	Sentence string          `json:"sentence"`
	Expect   string          `json:"expect"`
	Users    [][]policy.Term `json:"users"`
	Objects  []policy.Clause `json:"objects"`
}

func loadDev(t *testing.T) (*policy.Catalog, []devCase) {
	t.Helper()
	cat, err := policy.LoadCatalog("testdata/dev_catalog.yaml")
	require.NoError(t, err)
	f, err := os.Open("testdata/dev_cases.jsonl")
	require.NoError(t, err)
	defer f.Close()
	var cases []devCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c devCase
		require.NoError(t, json.Unmarshal(sc.Bytes(), &c))
		cases = append(cases, c)
	}
	require.NoError(t, sc.Err())
	return cat, cases
}

func newShippedEngine(t *testing.T) (*Engine, *geminifake.Server) {
	t.Helper()
	srv := geminifake.New(t)
	e, err := New(t.Context(), Config{
		APIKey: srv.APIKey, BaseURL: srv.URL, Timeout: 10 * time.Second, Backoff: time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	return e, srv
}

// goldRefs are the catalog references a correct answer needs.
func goldRefs(c devCase) []string {
	var out []string
	for _, cl := range c.Users {
		for _, tm := range cl {
			if tm.Group != "" {
				out = append(out, "group:"+tm.Group)
			}
			for _, v := range tm.Values {
				out = append(out, "attribute:"+tm.Attribute+"="+v)
			}
		}
	}
	for _, o := range c.Objects {
		if o.Asset != "" {
			out = append(out, "asset:"+o.Asset)
		}
		for _, tg := range append(slices.Clone(o.AllTags), o.NoneTags...) {
			out = append(out, "tag:"+tg)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Retrieval must put what a correct answer needs among the enums, or the
// model cannot give it. This measures that on the dev cases.
func TestRetrievalOffersTheGoldEntries(t *testing.T) {
	cat, cases := loadDev(t)
	e, srv := newShippedEngine(t)
	srv.Handle(func(geminifake.Request) geminifake.Reply {
		return geminifake.JSON(answer{IsPolicy: boolp(false), Refusal: "measuring retrieval"})
	})
	offered, total := 0, 0
	for _, c := range cases {
		if c.Expect != "policy" {
			continue
		}
		before := len(srv.Requests())
		_, err := e.Draft(t.Context(), c.Sentence, cat)
		require.NoError(t, err)
		reqs := srv.Requests()
		if len(reqs) == before {
			t.Logf("%s: the decomposer refused %q; nothing offered", c.ID, c.Sentence)
			total += len(goldRefs(c))
			continue
		}
		enums := map[string]bool{}
		for _, vs := range reqs[len(reqs)-1].Schema().Enums() {
			for _, v := range vs {
				enums[v] = true
			}
		}
		for _, g := range goldRefs(c) {
			total++
			if enums[g] {
				offered++
			} else {
				t.Logf("%s: %s not offered for %q", c.ID, g, c.Sentence)
			}
		}
	}
	recall := float64(offered) / float64(total)
	t.Logf("retrieval recall on the dev cases: %d of %d gold catalog entries offered (%.0f%%)", offered, total, 100*recall)
	assert.GreaterOrEqual(t, recall, 0.9, "the model can only choose what retrieval offers")
}

func TestEndToEndOnTheDevCatalog(t *testing.T) {
	cat, _ := loadDev(t)
	var notCustomerCare []string
	for _, u := range cat.Users {
		if !slices.Contains(u.Attributes["department"], "Customer Care") {
			notCustomerCare = append(notCustomerCare, u.ID)
		}
	}
	slices.Sort(notCustomerCare)
	cases := []struct {
		name     string
		sentence string
		answer   answer
		users    []string
		assets   []string
	}{
		{
			name:     "comptrollers after training",
			sentence: "Comptrollers can read data containing bank account information after completing security awareness training.",
			answer: answer{IsPolicy: boolp(true), Effect: "allow", Action: "read",
				Subjects:   []subjectAnswer{{Phrase: "Comptrollers", Terms: []termAnswer{{AnyOf: []string{"attribute:job_title=Accountant III", "attribute:job_title=Accountant IV"}, Why: "comptroller in the descriptions"}}}},
				Conditions: []conditionAnswer{{Phrase: "completing security awareness training", Terms: []termAnswer{{AnyOf: []string{"attribute:trainings=Security Awareness"}, Why: "training name"}}}},
				Objects:    []objectAnswer{{Phrase: "data containing bank account information", Clauses: []clauseAnswer{{AllTags: []string{"tag:Discovered.Entity.Bank Account Number"}, Why: "bank account numbers"}}}}},
			users:  []string{"ana@acme.example", "ben@acme.example"},
			assets: []string{"pg.finance.supplier_bank_details", "pg.treasury.cash_positions"},
		},
		{
			name:     "fraud analysts and one table",
			sentence: "Fraud analysts can read card transactions.",
			answer: answer{IsPolicy: boolp(true), Effect: "allow", Action: "read",
				Subjects: []subjectAnswer{{Phrase: "Fraud analysts", Terms: []termAnswer{{AnyOf: []string{"attribute:job_title=Fraud Analyst"}}}}},
				Objects:  []objectAnswer{{Phrase: "card transactions", Clauses: []clauseAnswer{{Asset: "asset:pg.cards.transactions"}}}}},
			users:  []string{"jade@acme.example", "kofi@acme.example"},
			assets: []string{"pg.cards.transactions"},
		},
		{
			name:     "exception",
			sentence: "Customer service representatives can read customer profiles, except seasonal workers.",
			answer: answer{IsPolicy: boolp(true), Effect: "allow", Action: "read",
				Subjects:   []subjectAnswer{{Phrase: "Customer service representatives", Terms: []termAnswer{{AnyOf: []string{"attribute:job_title=Customer Service Representative"}}}}},
				Conditions: []conditionAnswer{{Phrase: "not seasonal workers", Terms: []termAnswer{{AnyOf: []string{"attribute:employment_type=Seasonal"}, Negate: true}}}},
				Objects:    []objectAnswer{{Phrase: "customer profiles", Clauses: []clauseAnswer{{Asset: "asset:pg.customers.profiles"}}}}},
			users:  []string{"lena@acme.example"},
			assets: []string{"pg.customers.profiles"},
		},
		{
			name:     "employees in a country",
			sentence: "Employees in Mexico can read shipments.",
			answer: answer{IsPolicy: boolp(true), Effect: "allow", Action: "read",
				Subjects:   []subjectAnswer{{Phrase: "Employees", Everyone: true}},
				Conditions: []conditionAnswer{{Phrase: "in Mexico", Terms: []termAnswer{{AnyOf: []string{"attribute:country=MX"}, Why: "Mexico"}}}},
				Objects:    []objectAnswer{{Phrase: "shipments", Clauses: []clauseAnswer{{Asset: "asset:pg.logistics.shipments"}}}}},
			users:  []string{"chloe@acme.example", "kofi@acme.example", "lena@acme.example", "uma@acme.example"},
			assets: []string{"pg.logistics.shipments"},
		},
		{
			name:     "mask for everyone but a department",
			sentence: "Mask email addresses for everyone except customer care.",
			answer: answer{IsPolicy: boolp(true), Effect: "mask", Action: "read",
				Subjects:   []subjectAnswer{{Phrase: "everyone", Everyone: true}},
				Conditions: []conditionAnswer{{Phrase: "not customer care", Terms: []termAnswer{{AnyOf: []string{"attribute:department=Customer Care"}, Negate: true}}}},
				Objects:    []objectAnswer{{Phrase: "email addresses", Clauses: []clauseAnswer{{AllTags: []string{"tag:Discovered.Entity.Email Address"}}}}}},
			users:  notCustomerCare,
			assets: []string{"pg.customers.profiles"},
		},
		{
			name:     "temporary access for a department",
			sentence: "Give the legal team read access to card disputes for 7 days.",
			answer: answer{IsPolicy: boolp(true), Effect: "allow", Action: "read", Duration: "168h",
				Subjects: []subjectAnswer{{Phrase: "the legal team", Terms: []termAnswer{{AnyOf: []string{"attribute:department=Legal"}}}}},
				Objects:  []objectAnswer{{Phrase: "card disputes", Clauses: []clauseAnswer{{Asset: "asset:pg.cards.disputes"}}}}},
			users:  []string{"sol@acme.example"},
			assets: []string{"pg.cards.disputes"},
		},
		{
			name:     "two tags together",
			sentence: "Security engineers can read confidential PCI data.",
			answer: answer{IsPolicy: boolp(true), Effect: "allow", Action: "read",
				Subjects: []subjectAnswer{{Phrase: "Security engineers", Terms: []termAnswer{{AnyOf: []string{"attribute:job_title=Security Engineer"}}}}},
				Objects:  []objectAnswer{{Phrase: "confidential PCI data", Clauses: []clauseAnswer{{AllTags: []string{"tag:PCI", "tag:Classification.Confidential"}}}}}},
			users:  []string{"tom@acme.example"},
			assets: []string{"pg.cards.disputes", "pg.cards.transactions"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, srv := newShippedEngine(t)
			srv.Enqueue(geminifake.JSON(tc.answer))
			d, err := e.Draft(t.Context(), tc.sentence, cat)
			require.NoError(t, err)
			require.True(t, d.OK, d.Error)
			assert.Equal(t, "gemini", d.Engine)
			assert.Equal(t, tc.users, d.Impact.Users)
			assert.Equal(t, tc.assets, d.Impact.Assets)
			assert.NotEmpty(t, d.Cedar)
			assert.Empty(t, d.Unresolved)
			out, err := json.Marshal(d)
			require.NoError(t, err)
			assert.NotContains(t, string(out), srv.APIKey)
		})
	}
}

// An answer whose tags would cover every table is refused by the shared
// checks even though each tag is real and offered.
func TestEndToEndCoverEverythingIsRefused(t *testing.T) {
	cat, _ := loadDev(t)
	e, srv := newShippedEngine(t)
	srv.Handle(func(r geminifake.Request) geminifake.Reply {
		// A "model" that picks every classification tag it was offered.
		var clauses []clauseAnswer
		for _, tg := range r.Schema().Lookup("objects", "items", "clauses", "items", "all_tags", "items").Enum {
			clauses = append(clauses, clauseAnswer{AllTags: []string{tg}})
		}
		var objects []objectAnswer
		for _, p := range r.Schema().Lookup("objects", "items", "phrase").Enum {
			objects = append(objects, objectAnswer{Phrase: p, Clauses: clauses})
		}
		return geminifake.JSON(answer{IsPolicy: boolp(true), Effect: "allow", Action: "read",
			Subjects: []subjectAnswer{{Phrase: "Data analysts", Terms: []termAnswer{{AnyOf: []string{"attribute:job_title=Data Analyst"}}}}},
			Objects:  objects})
	})
	d, err := e.Draft(t.Context(), "Data analysts can read confidential, internal and public data.", cat)
	require.NoError(t, err)
	assert.False(t, d.OK)
	assert.Contains(t, d.Error, "cover every asset")
	assert.Nil(t, d.Policy)
}

// On a catalog with thousands of tags the request stays small: only the
// retrieved candidates travel, and the right ones are still among them.
func TestPromptStaysSmallOnALargeCatalog(t *testing.T) {
	base, err := os.ReadFile("testdata/dev_catalog.yaml")
	require.NoError(t, err)
	// Add generated tags and assets to the dev catalog's lists.
	text := string(base)
	var tags, assets strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&tags, "  Generated.Domain%d.Field%d: {description: Synthetic field %d of domain %d}\n", i%50, i, i, i%50)
	}
	for i := range 200 {
		fmt.Fprintf(&tags, "  Marketing.Card Campaign %d: {description: Loyalty card campaign number %d}\n", i, i)
	}
	for i := range 3000 {
		fmt.Fprintf(&assets, "  - {id: gen.t%d, name: gen.table_%d, owner: ana@acme.example, tags: [Generated.Domain%d.Field%d]}\n", i, i, i%50, i)
	}
	text = strings.Replace(text, "\ntags:\n", "\ntags:\n"+tags.String(), 1)
	text = strings.Replace(text, "\nassets:\n", "\nassets:\n"+assets.String(), 1)
	cat, err := policy.ParseCatalog("large.yaml", []byte(text))
	require.NoError(t, err)
	require.Greater(t, len(cat.Tags), 5000)

	e, srv := newShippedEngine(t)
	srv.Enqueue(geminifake.JSON(fraudAnswer()))
	d, err := e.Draft(t.Context(), fraudSentence, cat)
	require.NoError(t, err)
	require.True(t, d.OK, d.Error)

	r := srv.Requests()[0]
	assert.Less(t, len(r.Raw), 32<<10, "request body is %d bytes", len(r.Raw))
	enums := r.Schema().Enums()
	assert.LessOrEqual(t, len(enums["objects.items.clauses.items.all_tags.items"]), DefaultCandidates, "one object phrase: at most k tags")
	assert.LessOrEqual(t, len(enums["subjects.items.terms.items.any_of.items"]), 2*DefaultCandidates, "two people phrases: at most 2k entries")
	assert.Contains(t, enums["objects.items.clauses.items.all_tags.items"], "tag:Discovered.Entity.Credit Card Number")
	t.Logf("request body: %d bytes for a catalog of %d tags and %d assets", len(r.Raw), len(cat.Tags), len(cat.Assets))
}
