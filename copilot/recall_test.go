package copilot

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/steward-dev/steward/policy"
)

// recallOne has one thing for each near reading: one teller, one auditor,
// one porter group, one tag of card numbers, one table of prices, author
// names described on their tag; and the look-alikes that must keep refusing
// (two analysts, two kinds of courier, generic managers and clerks, an
// employees table in an exports bucket, a tariff on two kinds of rate).
const recallOne = `
attributes:
  job_title:
    values:
      Bank Teller: {}
      Internal Auditor: {}
      Fraud Analyst: {}
      Data Analyst: {}
      Head Courier: {}
      Courier Dispatcher: {}
      Branch Manager: {}
      Warehouse Clerk: {}
groups:
  Night Porters: {}
  Program Committee: {}
  okta:engineering: {}
users:
  - {id: tel, name: tel, attributes: {job_title: Bank Teller}}
  - {id: aud, name: aud, attributes: {job_title: Internal Auditor}}
  - {id: fa, name: fa, attributes: {job_title: Fraud Analyst}}
  - {id: da, name: da, attributes: {job_title: Data Analyst}}
  - {id: hc, name: hc, attributes: {job_title: Head Courier}}
  - {id: cd, name: cd, attributes: {job_title: Courier Dispatcher}}
  - {id: bm, name: bm, attributes: {job_title: Branch Manager}}
  - {id: wc, name: wc, attributes: {job_title: Warehouse Clerk}}
  - {id: por, name: por, groups: [Night Porters]}
  - {id: pc1, name: pc1, groups: [Program Committee]}
  - {id: pc2, name: pc2, groups: [Program Committee]}
  - {id: eng, name: eng, groups: ["okta:engineering"]}
tags:
  Survey: {}
  Membership Card Number: {}
  Author Identity: {description: Names of the authors}
  Submission: {}
  PII: {}
  Reward Balance: {}
  Tariff: {}
assets:
  - {id: db.surveys, name: db.surveys, owner: tel, tags: [Survey]}
  - {id: db.members, name: db.members, owner: tel, columns: {card_no: [Membership Card Number], loyalty_points: [Reward Balance]}}
  - {id: db.papers, name: db.papers, owner: tel, tags: [Submission], columns: {authors: [Author Identity]}}
  - {id: products.price_list, name: products.price_list, owner: tel}
  - {id: s3://hr-exports/employees, name: s3://hr-exports/employees, owner: tel, tags: [PII]}
  - {id: db.rates, name: db.rates, owner: tel, columns: {night_rate: [Tariff], day_rate: [Tariff]}}
`

// recallTwo has two of each: every near reading of recallOne is ambiguous
// here, except where the strict reading already answers ("Nurses" is Nurse).
const recallTwo = `
attributes:
  job_title:
    values:
      Nurse: {}
      Nurse Practitioner: {}
      Head Nurse: {}
      Bank Teller: {}
groups:
  Program Committee: {}
  Privacy Council: {}
  Bank Tellers Union: {}
users:
  - {id: nu, name: nu, attributes: {job_title: Nurse}}
  - {id: np, name: np, attributes: {job_title: Nurse Practitioner}}
  - {id: hn, name: hn, attributes: {job_title: Head Nurse}}
  - {id: tel, name: tel, attributes: {job_title: Bank Teller}}
  - {id: pc1, name: pc1, groups: [Program Committee]}
  - {id: pv1, name: pv1, groups: [Privacy Council]}
  - {id: un1, name: un1, groups: [Bank Tellers Union]}
tags:
  Survey: {}
  Membership Card Number: {}
  Membership Account Number: {}
  Registration: {}
  Badge: {}
assets:
  - {id: db.surveys, name: db.surveys, owner: nu, tags: [Survey]}
  - {id: db.cards, name: db.cards, owner: nu, tags: [Membership Card Number]}
  - {id: db.accounts, name: db.accounts, owner: nu, tags: [Membership Account Number]}
  - {id: db.registrations, name: db.registrations, owner: nu, tags: [Registration], columns: {badge_number: [Badge]}}
  - {id: db.refunds, name: db.refunds, owner: nu, columns: {badge_id: [Badge]}}
`

func runRecallCases(t *testing.T, yaml string, cases []draftCase) {
	t.Helper()
	cat, err := policy.ParseCatalog("recall.yaml", []byte(yaml))
	require.NoError(t, err)
	runDraftCasesOn(t, cat, cases)
}

// A role named by the last word of its title, only when that word is the
// last word of one title or group and in no other name of people.
func TestRecallHeadNoun(t *testing.T) {
	runRecallCases(t, recallOne, []draftCase{
		{sentence: "Tellers can read surveys.", want: allow(u("tel"), "db.surveys"), why: `"teller" is the last word of job_title "Bank Teller"`},
		{sentence: "Auditors can read surveys.", want: allow(u("aud"), "db.surveys"), why: `of job_title "Internal Auditor"`},
		{sentence: "Tellers cannot delete surveys.", want: allow(u("tel"), "db.surveys").deny().write(), why: "last word"},
		{sentence: "Porters can read surveys.", want: allow(u("por"), "db.surveys"), why: `group "Night Porters"`},
		// several titles end in it: refused with the candidates
		{sentence: "Analysts can read surveys.", refuse: `it could mean job_title "Data Analyst" or job_title "Fraud Analyst"; say which`},
		// the word is in another title too, though not at its end
		{sentence: "Couriers can read surveys.", refuse: `it could mean job_title "Courier Dispatcher" or job_title "Head Courier"`},
		// a rank or function found everywhere is not the one title that has it
		{sentence: "Managers can read surveys.", refuse: `could not resolve subject "Managers"`},
		{sentence: "Clerks can read surveys.", refuse: `could not resolve subject "Clerks"`},
		// more than the one word is still a name to match in full
		{sentence: "Senior tellers can read surveys.", refuse: `could not resolve subject "Senior tellers"`},
	})
	runRecallCases(t, recallTwo, []draftCase{
		// the strict reading answers first: Nurse, not Head Nurse or Nurse Practitioner
		{sentence: "Nurses can read surveys.", want: allow(u("nu"), "db.surveys"), why: "by name"},
		// a title and a group both have the word
		{sentence: "Tellers can read surveys.", refuse: `it could mean group "Bank Tellers Union" or job_title "Bank Teller"`},
	})
}

// Data named by some of the words of one name of a table or tag, the word
// the phrase is about being in the table's own name.
func TestRecallNearObject(t *testing.T) {
	runRecallCases(t, recallOne, []draftCase{
		{sentence: "Tellers can read membership numbers.", want: allow(u("tel"), "db.members"), why: `the name of tag "Membership Card Number"`},
		{sentence: "Mask membership numbers for auditors.", want: allow(u("aud"), "db.members").mask(), why: "every word of"},
		{sentence: "Tellers can read loyalty points.", want: allow(u("tel"), "db.members"), why: `column loyalty_points of db.members, which carries tag "Reward Balance"`},
		{sentence: "Tellers can modify product prices.", want: allow(u("tel"), "products.price_list").write(), why: "the name of asset products.price_list"},
		// already read through the description ("names of people")
		{sentence: "Tellers cannot see the names of authors.", want: allow(u("tel"), "db.papers").deny(), why: `tag "Author Identity"`},
		// "export" is only in the bucket's name, not the table's
		{sentence: "Tellers can read the employees export.", refuse: `could not resolve object "the employees export"`},
		// one word is too little to be sure of
		{sentence: "Tellers can read cards.", refuse: `could not resolve object "cards"`},
		// a word the name does not have
		{sentence: "Tellers can update the status of surveys.", refuse: `could not resolve object "the status of surveys"`},
		{sentence: "Tellers can read card expiry dates.", refuse: `could not resolve object "card expiry dates"`},
		// the tag is on day rates too: "night rates" is less than the tag
		{sentence: "Tellers can read night rates.", refuse: `could not resolve object "night rates"`},
	})
	runRecallCases(t, recallTwo, []draftCase{
		{sentence: "Nurses can read membership numbers.", refuse: `it could mean tag "Membership Account Number" or tag "Membership Card Number"; say which`},
		// the column badge_number's tag is also on badge_id
		{sentence: "Nurses can read badge numbers.", refuse: `could not resolve object "badge numbers"`},
	})
}

// Two-letter initials of a group, followed by "members".
func TestRecallGroupInitials(t *testing.T) {
	runRecallCases(t, recallOne, []draftCase{
		{sentence: "PC members can read surveys.", want: allow(u("pc1", "pc2"), "db.surveys"), why: `"PC" is the initials of group "Program Committee"`},
		// two letters alone are too few ("DAs" is no Data Analyst either)
		{sentence: "PCs can read surveys.", refuse: `could not resolve subject "PCs"`},
		{sentence: "DA members can read surveys.", refuse: `could not resolve subject "DA members"`},
		// a namespace is no word of the group's name
		{sentence: "OE members can read surveys.", refuse: `could not resolve subject "OE members"`},
	})
	runRecallCases(t, recallTwo, []draftCase{
		// Program Committee and Privacy Council
		{sentence: "PC members can read surveys.", refuse: `could not resolve subject "PC members"`},
	})
}

// The near readings only answer what the strict ones refused: every
// catalog's strict answers are unchanged (the other tests), and an index
// without any near name still builds.
func TestRecallEmptyCatalog(t *testing.T) {
	ix := newCatalogIndex(&policy.Catalog{})
	_, problem, ok := ix.nearObject([]string{"card", "number"})
	assert.False(t, ok)
	assert.Empty(t, problem)
	_, problem, ok = ix.headNoun([]string{"teller"}, ix.subjFill)
	assert.False(t, ok)
	assert.Empty(t, problem)
}
