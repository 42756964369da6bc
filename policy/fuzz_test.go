package policy

import (
	"encoding/json"
	"testing"

	"github.com/cedar-policy/cedar-go"
)

func FuzzParseCatalog(f *testing.F) {
	// Small seeds on purpose: the fuzzer minimises every new interesting
	// input, and minimising a mutation of the 7 kB dev catalog takes most
	// of a minute, which starves a 60 s run.
	f.Add([]byte(devSeed))
	f.Add([]byte(semCatalog))
	f.Add([]byte(`{"tags": {"PII": {}}, "users": [{"id": "u", "name": "U", "attributes": {}}], "assets": [{"id": "a", "name": "a", "tags": ["PII"], "columns": {"c": ["PII"]}}]}`))
	f.Add([]byte("a: &a [x]\nb: *a\nusers: [{id: *a}]\n"))
	f.Add([]byte("users:\n  - {id: a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCatalog("fuzz.yaml", data)
		if err != nil {
			if _, ok := err.(*CatalogError); !ok {
				t.Fatalf("error is %T, not *CatalogError: %v", err, err)
			}
			return
		}
		for _, u := range c.Users {
			if _, ok := c.User(u.ID); !ok {
				t.Fatalf("user %q not found after load", u.ID)
			}
		}
		for _, a := range c.Assets {
			if _, ok := c.Asset(a.ID); !ok {
				t.Fatalf("asset %q not found after load", a.ID)
			}
		}
		_, ents, err := ExportCedar(c, nil)
		if err != nil {
			t.Fatalf("exporting a valid catalog: %v", err)
		}
		var em cedar.EntityMap
		if err := json.Unmarshal(ents, &em); err != nil {
			t.Fatalf("cedar cannot read the entities we wrote: %v\n%s", err, ents)
		}
	})
}

func FuzzDecodePolicy(f *testing.F) {
	f.Add([]byte(`{"id":"p","effect":"allow","action":"read","subjects":[[{"attribute":"title","values":["Analyst"]}]],"objects":[{"all_tags":["PII"]}],"duration":"720h"}`))
	f.Add([]byte(`{"effect":"deny","action":"write","subjects":[[{"group":"fraud","negate":true}],[]],"objects":[{"asset":"ledger"},{"all_tags":["Finance"],"none_tags":["PCI"]}]}`))
	f.Add([]byte(`{"effect":"mask","action":"read","subjects":[],"objects":[]}`))
	f.Add([]byte(`{"effect":"allow","effect":"deny"}`))
	c, err := ParseCatalog("sem.yaml", []byte(semCatalog))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodePolicy(data)
		if err != nil {
			return
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal a decoded policy: %v", err)
		}
		q, err := DecodePolicy(b)
		if err != nil {
			t.Fatalf("cannot decode what we wrote: %v\n%s", err, b)
		}
		b2, _ := json.Marshal(q)
		if string(b) != string(b2) {
			t.Fatalf("round trip changed the policy:\n%s\n%s", b, b2)
		}
		text, cerr := CedarPolicy(p)
		if c.ValidatePolicy(p) != nil {
			return
		}
		if cerr != nil {
			t.Fatalf("a valid policy does not export: %v", cerr)
		}
		var cp cedar.Policy
		if err := cp.UnmarshalCedar([]byte(text)); err != nil {
			t.Fatalf("cedar cannot parse what we wrote: %v\n%s", err, text)
		}
		if _, err := NewEvaluator(c, []Policy{p}); err != nil {
			t.Fatalf("a valid policy is refused by the evaluator: %v", err)
		}
	})
}

// devSeed is a slice of the dev catalog: every field form, a few entries.
const devSeed = `# sample
attributes:
  job_title:
    description: Job title from the HR system
    values:
      Accountant IV: {description: Lead accountant, aliases: [comptroller]}
      Buyer: {}
  trainings:
    values: {Security Awareness: {}, PCI DSS: {}}
groups:
  fraud-squad: {description: Card fraud response team}
users:
  - {id: ana@acme.example, name: Ana Ruiz, email: ana@acme.example, slack_id: U01, groups: [], attributes: {job_title: Accountant IV, trainings: [Security Awareness]}}
  - {id: jade@acme.example, name: Jade Kim, groups: [fraud-squad], attributes: {job_title: Buyer, trainings: [PCI DSS]}}
tags:
  Discovered.Entity.Bank Account Number: {description: Bank account numbers}
  PCI: {}
assets:
  - {id: pg.finance.supplier_bank_details, platform: postgres, name: finance.supplier_bank_details, owner: ana@acme.example, tags: [Discovered.Entity.Bank Account Number]}
  - {id: pg.cards.transactions, platform: postgres, name: cards.transactions, owner: jade@acme.example, columns: {pan: [PCI]}}
`

func TestDevSeedIsAValidCatalog(t *testing.T) {
	if _, err := ParseCatalog("seed.yaml", []byte(devSeed)); err != nil {
		t.Fatalf("the fuzz seed should be a valid catalog: %v", err)
	}
}
