package copilot

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/policy"
)

// A corpus of access-control requirement sentences in the style of the
// policy-extraction literature (iTrust health records, conference
// management, e-commerce and banking), written for this test and judged by
// the grant each draft would make in a catalog modelled for its domain:
// testdata/itrust.yaml, testdata/confms.yaml and testdata/shop.yaml.
//
// Sentences that are not access policies (functional requirements, log-in
// steps, notifications) must be refused, and so must data that belongs to
// the person acting ("their own") or to someone related to them: a grant on
// the whole table would give every patient or customer everyone's data.

// corpusITrust is judged in testdata/itrust.yaml.
func corpusITrust() []draftCase {
	hcp, lhcp := u("phy", "rn", "uap"), u("phy", "rn")
	admins := u("adm", "bil")
	everyone := u("phy", "rn", "uap", "er", "pha", "lt", "adm", "bil", "pat")
	return []draftCase{
		{sentence: "The HCP can view the patient's emergency report.", want: allow(hcp, "itrust.emergency_reports")},
		{sentence: "A LHCP shall be able to edit the office visit record.", want: allow(lhcp, "itrust.office_visits").write()},
		{sentence: "An LHCP can document an office visit.", want: allow(lhcp, "itrust.office_visits").write()},
		{sentence: "The LHCP can view the prescription history of a patient.", want: allow(lhcp, "itrust.prescriptions")},
		{sentence: "Emergency responders can view emergency reports.", want: allow(u("er"), "itrust.emergency_reports")},
		{sentence: "Public health agents may view immunization records.", want: allow(u("pha"), "itrust.immunizations")},
		{sentence: "Lab technicians can update lab procedures.", want: allow(u("lt"), "itrust.lab_procedures").write()},
		// a grant was due, but "the status of" names a column the catalog
		// does not have; write on the whole table would be more than asked
		{sentence: "Lab technicians can update the status of lab procedures.", refuse: `could not resolve object "the status of lab procedures"`},
		{sentence: "The system administrator can create personnel records.", want: allow(admins, "itrust.personnel").write()},
		{sentence: "Unlicensed assistive personnel may schedule appointments.", want: allow(u("uap"), "itrust.appointments").write()},
		{sentence: "UAPs shall not edit prescriptions.", want: allow(u("uap"), "itrust.prescriptions").deny().write()},
		{sentence: "Only LHCPs can enter diagnoses.", want: allow(lhcp, "itrust.diagnoses").write()},
		{sentence: "The HCP shall be able to view the access log.", want: allow(hcp, "itrust.access_log")},
		{sentence: "Patients are not allowed to view the access log.", want: allow(u("pat"), "itrust.access_log").deny()},
		{sentence: "Emergency responders shall not be able to modify emergency reports.", want: allow(u("er"), "itrust.emergency_reports").deny().write()},
		{sentence: "Billing staff can view bills.", want: allow(u("bil"), "itrust.bills")},
		{sentence: "Lab technicians may not view office visits.", want: allow(u("lt"), "itrust.office_visits").deny()},
		{sentence: "A public health agent can view diagnoses but cannot edit them.", want: allow(u("pha"), "itrust.diagnoses")},
		{sentence: "The LHCP can view and edit the patient's demographics.", want: allow(lhcp, "itrust.patients").write()},
		{sentence: "HCPs who completed HIPAA training may view lab procedures.", want: allow(lhcp, "itrust.lab_procedures")},
		{sentence: "An LHCP may be granted access to diagnoses for 30 days.", want: allow(lhcp, "itrust.diagnoses").lasting(30 * day)},
		{sentence: "Each HCP may read office visits.", want: allow(hcp, "itrust.office_visits")},
		{sentence: "Office visits may only be edited by LHCPs.", want: allow(lhcp, "itrust.office_visits").write()},
		{sentence: "An HCP or a UAP can schedule appointments.", want: allow(hcp, "itrust.appointments").write()},
		{sentence: "The system shall enable an LHCP to edit diagnoses.", want: allow(lhcp, "itrust.diagnoses").write()},
		{sentence: "Diagnoses cannot be edited by UAPs.", want: allow(u("uap"), "itrust.diagnoses").deny().write()},
		// whose data it is, when the catalog also has a table of patients
		{sentence: "The LHCP may view the patient's prescriptions.", want: allow(lhcp, "itrust.prescriptions")},
		{sentence: "Emergency responders may view the emergency report of any patient.", want: allow(u("er"), "itrust.emergency_reports")},
		{sentence: "The public health agent can view the diagnoses of all patients.", want: allow(u("pha"), "itrust.diagnoses")},
		{sentence: "HCPs can view the demographics of patients.", want: allow(hcp, "itrust.patients")},
		{sentence: "UAPs shall not view the patient's diagnoses.", want: allow(u("uap"), "itrust.diagnoses").deny()},
		// "PHI of patients" is not all PHI: a tag is not the same data whoever it is about
		{sentence: "HCPs can view the PHI of patients.", refuse: "could not resolve object"},
		{sentence: "Nobody but the system administrator can edit personnel records.", want: allow(except(everyone, admins...), "itrust.personnel").deny().write()},

		// the data belongs to the person acting, or to someone related to
		// them: no grant on the whole table can say that
		{sentence: "Patients may not modify their diagnoses.", refuse: `"their" ties the data`},
		{sentence: "Patients can view their own lab procedures.", refuse: `"their" ties the data`},
		{sentence: "A patient can view the patient's own access log.", refuse: "own"},
		{sentence: "Patients can view patient demographics.", refuse: "are also the people the data is about"},
		{sentence: "A patient may read the lab procedures of a patient.", refuse: "are also the people the data is about"},
		{sentence: "The patient's designated LHCP can view the patient's diagnoses.", refuse: "ties the people to someone else"},
		// functional requirements: the system or a person doing a step, no access policy
		{sentence: "The system shall send an email to the patient when a lab procedure is updated.", refuse: "no policy found"},
		{sentence: "The patient logs in with a username and password.", refuse: "no policy found"},
		{sentence: "The system shall display the patient's demographics on the home page.", refuse: "not an access policy"},
		{sentence: "The system shall display lab procedures to the LHCP.", refuse: "not an access policy"},
		{sentence: "The application must record every access to office visits.", refuse: "not an access policy"},
		{sentence: "The system shall log every access to office visits.", refuse: "no policy found"},
		{sentence: "Patients can request an appointment.", refuse: "no policy found"},
	}
}

// corpusConf is judged in testdata/confms.yaml.
func corpusConf() []draftCase {
	reviewers, pc := u("rv1", "rv2"), u("pc1", "rv1", "rv2")
	everyone := u("pc1", "gc1", "rv1", "rv2", "au1", "at1", "ca1", "rc1")
	return []draftCase{
		// a grant was due (write on review assignments); assigning papers
		// writes the paper assignments, which this catalog calls review
		// assignments. Writing the papers, as the copilot once drafted,
		// would let the chair change every paper.
		{sentence: "Only the program chair can assign papers to reviewers.", refuse: `could not resolve object "paper assignments"`},
		{sentence: "The program chair may reassign reviews to other reviewers.", want: allow(u("pc1"), "cms.review_assignments").write()},
		{sentence: "The conference administrator can assign roles to users.", want: allow(u("ca1"), "cms.user_roles").write()},
		{sentence: "The program chair can assign papers and reviews to reviewers.", refuse: "what is written is the assignment"},
		// a grant was due; "names of authors" is the "Author Identity"
		// column tag only to a reader who knows the catalog
		{sentence: "Reviewers cannot see the names of authors.", refuse: `could not resolve object "the names of authors"`},
		// a grant was due; a present-tense statement reads like a step of
		// the system ("The patient logs in"), so it is not taken as a policy
		{sentence: "The administrator assigns roles to users.", refuse: "no policy found"},
		{sentence: "Reviewers can submit reviews.", want: allow(reviewers, "cms.reviews").write()},
		// a grant was due; "PC members" are the members of the Program
		// Committee (two-letter initials of a group, followed by "members",
		// see recall_test.go), but "submitted papers" may be fewer than all
		{sentence: "PC members can view all submitted papers.", refuse: `could not resolve object "all submitted papers"`},
		// a grant was due; "make the final decision on" is no verb the
		// copilot knows, and an unknown verb is never guessed
		{sentence: "The program chair can make the final decision on papers.", refuse: "no policy found"},
		{sentence: "Only the program chair may modify decisions.", want: allow(u("pc1"), "cms.decisions").write()},
		{sentence: "Authors can submit papers.", want: allow(u("au1"), "cms.papers").write()},
		{sentence: "Attendees can view the program.", want: allow(u("at1"), "cms.program")},
		// a grant was due; "conference" is a word the catalog does not have
		{sentence: "Attendees can view the conference program.", refuse: `could not resolve object "the conference program"`},
		// the catalog calls them "Payment Card", the tag of the only column
		// named card_number (see recall_test.go)
		{sentence: "Mask card numbers for everyone except the registration clerk.", want: allow(except(everyone, "rc1"), "cms.registrations").mask()},
		{sentence: "Mask payment cards for everyone except the registration clerk.", want: allow(except(everyone, "rc1"), "cms.registrations").mask()},
		{sentence: "The general chair has read access to reviews.", want: allow(u("gc1"), "cms.reviews")},
		{sentence: "Members of the organizing committee can update the program.", want: allow(u("pc1", "gc1", "ca1"), "cms.program").write()},
		{sentence: "Reviewers are not permitted to change review assignments.", want: allow(reviewers, "cms.review_assignments").deny().write()},
		{sentence: "Registration clerks can edit registrations for 14 days.", want: allow(u("rc1"), "cms.registrations").write().lasting(14 * day)},
		{sentence: "Authors may not read reviews.", want: allow(u("au1"), "cms.reviews").deny()},
		{sentence: "The program committee can read reviews.", want: allow(pc, "cms.reviews")},
		// the group by name, not the role whose description mentions "program committee member"
		{sentence: "Program committee members cannot modify decisions.", want: allow(pc, "cms.decisions").deny().write()},
		{sentence: "Program committee members may view reviews for 30 days.", want: allow(pc, "cms.reviews").lasting(30 * day)},

		// conditions on events and relationships the catalog cannot express
		{sentence: "Authors may not view reviews before the decision is made.", refuse: "before"},
		{sentence: "Authors cannot view the reviews of other papers.", refuse: "other"},
		{sentence: "Reviewers can read the papers assigned to them.", refuse: "them"},
		{sentence: "Reviewers must not review their own papers.", refuse: `"their" ties the data`},
		{sentence: "Authors shall not be able to access reviews of their papers before notification.", refuse: `"their" ties the data`},
		// "but not card numbers" would leave no table to read
		{sentence: "The registration clerk can view registrations but may not view card numbers.", refuse: "card numbers"},
		// functional requirements
		{sentence: "The system shall notify authors when a decision is made.", refuse: "no policy found"},
		{sentence: "A reviewer logs in to the system to submit a review.", refuse: "no policy found"},
	}
}

// corpusShop is judged in testdata/shop.yaml.
func corpusShop() []draftCase {
	return []draftCase{
		{sentence: "A customer can view the order history.", want: allow(u("cus"), "shop.orders")},
		{sentence: "Bank tellers may view account balances but may not approve loans.", want: allow(u("tel"), "bank.accounts")},
		{sentence: "Loan officers can approve loans.", want: allow(u("lo"), "bank.loans").write()},
		{sentence: "A branch manager may approve or reject loans.", want: allow(u("bm"), "bank.loans").write()},
		{sentence: "Bank tellers are prohibited from viewing loans.", want: allow(u("tel"), "bank.loans").deny()},
		// two tables in one phrase: "account transactions" is not read as one of them
		{sentence: "The auditor can view all account transactions.", refuse: "more than one table"},
		{sentence: "Warehouse clerks can update inventory.", want: allow(u("wh"), "shop.inventory").write()},
		{sentence: "Customer service representatives may view customer orders but cannot modify them.", want: allow(u("csr"), "shop.orders")},
		{sentence: "Customer service representatives shall not view card numbers.", want: allow(u("csr"), "shop.payments").deny()},
		// a grant was due; "prices" is a column the catalog does not name
		{sentence: "The store manager can modify product prices.", refuse: `could not resolve object "product prices"`},
		{sentence: "Auditors can read all transactions.", want: allow(u("aud"), "bank.transactions")},
		// the last word of one title ("Bank Teller") that no other title or
		// group has; "analysts" against several analysts is still refused
		// (see recall_test.go)
		{sentence: "Tellers cannot delete transactions.", want: allow(u("tel"), "bank.transactions").deny().write()},
		{sentence: "Bank tellers cannot delete transactions.", want: allow(u("tel"), "bank.transactions").deny().write()},
		{sentence: "The fraud team may view card numbers for 7 days.", want: allow(u("aud"), "shop.payments").lasting(7 * day)},
		{sentence: "Branch managers have read and write access to accounts.", want: allow(u("bm"), "bank.accounts").write()},
		// "staff", like "employees", means every user in the catalog (see
		// TestDraftBank), customers included: a prohibition wider than
		// meant, never a grant
		{sentence: "Staff other than loan officers cannot view loans.", want: allow(u("csr", "wh", "mgr", "tel", "bm", "aud", "cus"), "bank.loans").deny()},
		{sentence: "Warehouse clerks are not allowed to view payments.", want: allow(u("wh"), "shop.payments").deny()},
		{sentence: "A bank teller can view a customer's transactions.", want: allow(u("tel"), "bank.transactions")},
		{sentence: "Auditors can view the transactions of all customers.", want: allow(u("aud"), "bank.transactions")},
		{sentence: "Customer service representatives can read customer orders.", want: allow(u("csr"), "shop.orders")},
		{sentence: "Customer service representatives may view orders but may not view card numbers.", want: allow(u("csr"), "shop.orders")},
		{sentence: "CSRs can view the customer list.", want: allow(u("csr"), "shop.customers")},
		{sentence: "Customers can place orders.", want: allow(u("cus"), "shop.orders").write()},
		{sentence: "Store managers can view the customer list.", want: allow(u("mgr"), "shop.customers")},

		{sentence: "Customers can view their own account balance.", refuse: `"their" ties the data`},
		// the people given access are the people the data is about: each
		// one's own data, which no grant on the table can say; a prohibition
		// on all of it is only stricter, so it stands
		{sentence: "Customers can view customer orders.", refuse: "are also the people the data is about"},
		{sentence: "A customer can view a customer's transactions.", refuse: "are also the people the data is about"},
		{sentence: "Customers must not modify customer orders.", want: allow(u("cus"), "shop.orders").deny().write()},
		// the forbidden part names the same data again, or data the catalog cannot narrow to
		{sentence: "Auditors can view transactions but cannot edit transactions.", want: allow(u("aud"), "bank.transactions")},
		{sentence: "Bank tellers can view accounts but may not view accounts on weekends.", refuse: "could not resolve condition"},
		{sentence: "Loan officers may view loans but may not approve loans over 10000 dollars.", refuse: "could not resolve condition"},
		{sentence: "Only branch managers may approve loans over $10,000.", refuse: "over"},
		{sentence: "Customers must not access other customers' accounts.", refuse: "other"},
		// functional requirements
		{sentence: "The system shall send a confirmation email after an order is placed.", refuse: "no policy found"},
		{sentence: "A customer adds items to the shopping cart.", refuse: "no policy found"},
		{sentence: "The customer enters a shipping address at checkout.", refuse: "no policy found"},
		{sentence: "The system shall lock the account after three failed login attempts.", refuse: "no policy found"},
		{sentence: "The website shall list products.", refuse: "not an access policy"},
		// the card numbers are a column of payments: leaving them out leaves nothing
		{sentence: "Customer service representatives may view payments but may not view card numbers.", refuse: "leave out every table"},
		// "other" people's data is a relationship
		{sentence: "Patients can view accounts but not other customers' accounts.", refuse: "could not resolve"},
	}
}

// corpusDue are the sentences the tests expect refused although a person
// reading them would grant something: the score counts them as refused.
var corpusDue = set(
	"Lab technicians can update the status of lab procedures.",
	"Only the program chair can assign papers to reviewers.",
	"Reviewers cannot see the names of authors.",
	"The administrator assigns roles to users.",
	"PC members can view all submitted papers.",
	"The program chair can make the final decision on papers.",
	"Attendees can view the conference program.",
	"The store manager can modify product prices.",
)

func TestDraftCorpusITrust(t *testing.T)     { runDraftCases(t, "itrust", corpusITrust()) }
func TestDraftCorpusConference(t *testing.T) { runDraftCases(t, "confms", corpusConf()) }
func TestDraftCorpusShop(t *testing.T)       { runDraftCases(t, "shop", corpusShop()) }

// TestCorpusScore counts the corpus the way the judge would: right (the
// exact grant, or a refusal where one is due), refused (a grant was due) and
// wrong (any other grant). A wrong answer is never acceptable; refusals are
// counted so that the score can be followed.
func TestCorpusScore(t *testing.T) {
	eng := NewBuiltin()
	var right, wrong, refused int
	for _, set := range []struct {
		cat   string
		cases []draftCase
	}{{"itrust", corpusITrust()}, {"confms", corpusConf()}, {"shop", corpusShop()}} {
		cat := loadCatalog(t, set.cat)
		ix := policy.NewIndex(cat)
		for _, tc := range set.cases {
			d, err := eng.Draft(context.Background(), tc.sentence, cat)
			require.NoError(t, err)
			switch {
			case !d.OK && tc.refuse != "" && !corpusDue[tc.sentence]:
				right++
			case !d.OK:
				refused++
				t.Logf("refused: %q: %s", tc.sentence, d.Error)
			case tc.refuse != "":
				wrong++
				t.Errorf("granted what must be refused: %q: %+v", tc.sentence, ix.Impact(*d.Policy))
			case sameGrant(tc.want, *d.Policy, ix.Impact(*d.Policy)):
				right++
			default:
				wrong++
				imp := ix.Impact(*d.Policy)
				t.Errorf("wrong grant: %q: %s %s users %v assets %v dur %v", tc.sentence, d.Policy.Effect, d.Policy.Action, imp.Users, imp.Assets, time.Duration(d.Policy.Duration))
			}
		}
	}
	t.Logf("corpus: %d right, %d wrong, %d refused of %d", right, wrong, refused, right+wrong+refused)
	assert.Zero(t, wrong)
}

func sameGrant(want grant, p policy.Policy, imp policy.Impact) bool {
	eq := func(a, b []string) bool {
		a, b = slices.Clone(a), slices.Clone(b)
		slices.Sort(a)
		slices.Sort(b)
		return slices.Equal(a, b)
	}
	return want.effect == p.Effect && want.action == p.Action && want.dur == time.Duration(p.Duration) &&
		eq(want.users, imp.Users) && eq(want.assets, imp.Assets)
}

// Initials stand for a title or group of three or more words, but only when
// they stand for one thing and are no ordinary word.
func TestDraftInitials(t *testing.T) {
	cat, err := policy.ParseCatalog("initials.yaml", []byte(`
attributes:
  title:
    values:
      Unlicensed Assistive Personnel: {}
      Customer Service Representative: {}
      Certified Security Reviewer: {}
      Data Analyst: {}
groups:
  World Health Organization: {}
users:
  - {id: uap, name: uap, attributes: {title: Unlicensed Assistive Personnel}}
  - {id: csr, name: csr, attributes: {title: Customer Service Representative}}
  - {id: rev, name: rev, attributes: {title: Certified Security Reviewer}}
  - {id: da, name: da, groups: [World Health Organization], attributes: {title: Data Analyst}}
tags:
  Survey: {}
  Payroll: {}
assets:
  - {id: db.surveys, name: db.surveys, owner: da, tags: [Survey]}
  - {id: db.payroll, name: db.payroll, owner: da, tags: [Payroll]}
`))
	require.NoError(t, err)
	ix := policy.NewIndex(cat)
	eng := NewBuiltin()
	cases := []struct {
		sentence string
		users    []string
		refuse   string
	}{
		{sentence: "UAPs can read surveys.", users: u("uap")},
		{sentence: "A UAP may read surveys.", users: u("uap")},
		// CSR is both a Customer Service Representative and a Certified Security Reviewer
		{sentence: "CSRs can read surveys.", refuse: `could not resolve subject "CSRs"`},
		// two letters are too few to be sure of
		{sentence: "DAs can read surveys.", refuse: `could not resolve subject "DAs"`},
	}
	for _, tc := range cases {
		t.Run(tc.sentence, func(t *testing.T) {
			d, err := eng.Draft(context.Background(), tc.sentence, cat)
			require.NoError(t, err)
			if tc.refuse != "" {
				require.False(t, d.OK, "want a refusal")
				assert.Contains(t, d.Error, tc.refuse)
				return
			}
			require.True(t, d.OK, "refused: %s", d.Error)
			assert.ElementsMatch(t, tc.users, ix.Impact(*d.Policy).Users)
			assert.Contains(t, d.Resolution[0].Matches[0].Why, "initials")
		})
	}
}

// Requirement sentences whose grammatical subject is the software, or that
// give something to someone, are refused by the decomposer itself.
func TestDecomposeFunctionalRefusals(t *testing.T) {
	runRefusals(t, []struct{ sentence, want string }{
		{"The system shall display lab results to nurses", "not an access policy"},
		{"The application must record every change to prescriptions", "not an access policy"},
		{"The portal can display invoices", "not an access policy"},
		{"Managers may reassign approvals and budgets to deputies", "what is written is the assignment"},
	})
}

// Assigning something to people writes the assignment.
func TestDecomposeAssignments(t *testing.T) {
	d, err := Decompose("Only the program chair can assign papers to reviewers")
	require.NoError(t, err)
	assert.Equal(t, []string{"paper assignments"}, d.Objects)
	assert.Equal(t, "write", d.Action)
	assert.Empty(t, d.Purpose, "the people assigned to are no purpose")
}
