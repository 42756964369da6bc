package policy

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/cedar-policy/cedar-go"
)

func FuzzParseCatalog(f *testing.F) {
	dev, err := os.ReadFile("testdata/catalog.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(dev)
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
