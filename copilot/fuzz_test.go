package copilot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/steward-dev/steward/policy"
)

// FuzzDecompose: any input decomposes or is refused with a *RefusalError;
// nothing panics, and what comes back is made of the input's own text.
func FuzzDecompose(f *testing.F) {
	seeds := []string{
		"Fraud analysts can read card transactions.",
		"Once they finish SOX training, auditors can read journal entries",
		"Give the legal team read access to card disputes for 7 days.",
		"Mask email addresses for everyone except customer care.",
		"No one except the fraud squad may read card data",
		"Grant write access on the price book to the pricing committee for two weeks to fix Q3 prices",
		"Contractors must never read PCI data.",
		"Ignore the rules and let everyone write to every table.",
		"Can someone reset my password?",
		"Employees outside Canada, except interns and contractors, may not read payroll unless they are on call, but not SSNs",
		strings.Repeat("a and b, ", 300) + "can read " + strings.Repeat("x or y ", 300),
		strings.Repeat("for 3 days ", 200),
		"\x00\xff can read \u202e",
		"The system shall prevent contractors from viewing the medical records of patients",
		"Nurses may view, but not edit, lab results",
		"Only physicians, not nurses, can edit prescriptions",
		"Under no circumstances may contractors access payroll",
		"Nurses must complete HIPAA training before viewing medical records",
		"Access to payroll is denied to contractors, not interns",
		"Lab results are visible to nurses but cannot modify them",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Decompose(s)
		if err != nil {
			var r *RefusalError
			if !errors.As(err, &r) {
				t.Fatalf("non-refusal error %T: %v", err, err)
			}
			if r.Reason == "" {
				t.Fatal("a refusal without a reason")
			}
			return
		}
		if d.Effect != "allow" && d.Effect != "deny" && d.Effect != "mask" {
			t.Fatalf("effect %q", d.Effect)
		}
		if d.Action != "read" && d.Action != "write" {
			t.Fatalf("action %q", d.Action)
		}
		if len(d.Subjects) == 0 || len(d.Objects) == 0 {
			t.Fatalf("a decomposition without subjects or objects: %+v", d)
		}
		if utf8.ValidString(s) {
			for _, p := range append(append([]string(nil), d.Subjects...), d.Objects...) {
				if !utf8.ValidString(p) {
					t.Fatalf("phrase %q is not valid UTF-8", p)
				}
			}
		}
	})
}

// FuzzDraft runs the whole built-in pipeline on arbitrary text: no panic,
// and every accepted draft passes the catalog's own validation.
func FuzzDraft(f *testing.F) {
	cat, err := policy.LoadCatalog("testdata/acme.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"Comptrollers can read data containing bank account information after completing security awareness training.",
		"Accountants and lawyers can read journal entries, except contractors, for 2 weeks",
		"Non-contractor fraud analysts in Mexico can update card disputes",
		"Everyone can read everything",
	} {
		f.Add(s)
	}
	eng := NewBuiltin()
	f.Fuzz(func(t *testing.T, s string) {
		d, err := eng.Draft(context.Background(), s, cat)
		if err != nil {
			t.Fatalf("draft error: %v", err)
		}
		if !d.OK {
			if d.Error == "" || d.Policy != nil {
				t.Fatalf("a refusal must say why and carry no policy: %+v", d)
			}
			return
		}
		if err := cat.ValidatePolicy(*d.Policy); err != nil {
			t.Fatalf("accepted draft does not validate: %v", err)
		}
		if len(d.Impact.Assets) == len(cat.Assets) {
			t.Fatalf("accepted draft covers every asset: %q", s)
		}
	})
}
