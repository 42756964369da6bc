package policy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadCatalogDevSample(t *testing.T) {
	c, err := LoadCatalog("testdata/catalog.yaml")
	require.NoError(t, err)
	assert.Len(t, c.Users, 20)
	assert.Len(t, c.Assets, 12)
	assert.Len(t, c.Attributes, 5)
	assert.Empty(t, c.Warnings())

	ana, ok := c.User("ana@acme.example")
	require.True(t, ok)
	assert.Equal(t, "Ana Ruiz", ana.Name)
	// A single string in the file becomes a one-item list.
	assert.Equal(t, []string{"Accountant IV"}, ana.Attributes["job_title"])
	ben, _ := c.User("ben@acme.example")
	assert.Equal(t, []string{"Security Awareness", "PCI DSS"}, ben.Attributes["trainings"])
	chloe, _ := c.User("chloe@acme.example")
	assert.Equal(t, []string{}, chloe.Attributes["trainings"])

	_, ok = c.User("nobody@acme.example")
	assert.False(t, ok)

	a, ok := c.Asset("pg.cards.disputes")
	require.True(t, ok)
	assert.Equal(t, "jade@acme.example", a.Owner)
	assert.Equal(t, []string{"Classification.Confidential", "Discovered.Entity.Credit Card Number", "Discovered.Entity.Person Name", "PCI", "PII"}, c.AssetTags("pg.cards.disputes"))
	assert.Nil(t, c.AssetTags("missing"))
}

func TestCatalogLookups(t *testing.T) {
	src := `
attributes: {dept: {values: {Finance: {}}}}
groups: {g: {}}
tags: {PII: {}, Domain.Finance: {}}
users:
  - {id: u1, name: One, email: One@Example.com, slack_id: U001}
  - {id: u2, name: Two, slack_id: U002, groups: [g], attributes: {dept: [Finance]}}
assets:
  - {id: a1, name: t1, tags: [PII], columns: {iban: [Domain.Finance, PII], note: []}}
`
	c, err := ParseCatalog("c.yaml", []byte(src))
	require.NoError(t, err)
	u, ok := c.UserBySlackID("U002")
	require.True(t, ok)
	assert.Equal(t, "u2", u.ID)
	_, ok = c.UserBySlackID("")
	assert.False(t, ok)
	u, ok = c.UserByEmail("one@example.COM")
	require.True(t, ok)
	assert.Equal(t, "u1", u.ID)
	_, ok = c.UserByEmail("two@example.com")
	assert.False(t, ok)
	assert.Equal(t, []string{"Domain.Finance", "PII"}, c.AssetTags("a1"))

	// A catalog built in code gets the same lookups, with or without NewCatalog.
	lit := &Catalog{Users: c.Users, Assets: c.Assets, Tags: c.Tags, Groups: c.Groups, Attributes: c.Attributes}
	u, ok = lit.UserByEmail("ONE@example.com")
	require.True(t, ok)
	assert.Equal(t, "u1", u.ID)
	built, err := NewCatalog(*lit)
	require.NoError(t, err)
	u, ok = built.UserBySlackID("U001")
	require.True(t, ok)
	assert.Equal(t, "u1", u.ID)
}

func TestParseCatalogJSON(t *testing.T) {
	src := "{\n\t\"tags\": {\"PII\": {}},\n\t\"users\": [\n\t\t{\"id\": \"u1\", \"name\": \"One\"}\n\t],\n\t\"assets\": [\n\t\t{\"id\": \"a1\", \"name\": \"t\", \"owner\": \"u1\", \"tags\": [\"PIX\"]}\n\t]\n}\n"
	_, err := ParseCatalog("c.json", []byte(src))
	var ce *CatalogError
	require.ErrorAs(t, err, &ce)
	require.Len(t, ce.Problems, 1)
	assert.Equal(t, 7, ce.Problems[0].Line)
	assert.Equal(t, `c.json:7: asset a1: unknown tag "PIX" (did you mean "PII"?)`, err.Error())

	ok := strings.Replace(src, "PIX", "PII", 1)
	c, err := ParseCatalog("c.json", []byte(ok))
	require.NoError(t, err)
	assert.Equal(t, []string{"PII"}, c.AssetTags("a1"))
}

// Each kind of catalog problem, reported at its line, all at once.
func TestCatalogErrorsAllAtOnce(t *testing.T) {
	src := `attributes:
  job_title:
    values:
      Accountant: {}
  trainings:
    values:
      SOX: {}
groups:
  auditors: {}
tags:
  PII: {}
users:
  - id: bob
    name: Bob
    attributes:
      jobtitle: Accountant
      job_title: Acountant
      trainings: [SOX, GDPR]
    groups: [auditors, admins]
  - id: bob
    name: Bobby
  - name: No Id
  - id: cat
  - {id: dan, name: Dan, slack_id: U1}
  - {id: eve, name: Eve, slack_id: U1}
assets:
  - {id: t1, name: a, owner: zed, tags: [PII, Secret]}
  - {id: t1, name: b}
  - {id: t2, owner: bob}
  - {id: t3, name: c, columns: {ssn: [PII, SSN]}}
  - name: noid
`
	_, err := ParseCatalog("catalog.yaml", []byte(src))
	var ce *CatalogError
	require.ErrorAs(t, err, &ce)
	want := []Problem{
		{16, `user bob: unknown attribute key "jobtitle" (did you mean "job_title"?)`},
		{17, `user bob: unknown value "Acountant" for attribute job_title (did you mean "Accountant"?)`},
		{18, `user bob: unknown value "GDPR" for attribute trainings`},
		{19, `user bob: unknown group "admins"`},
		{20, `user bob: duplicate id (first at line 13)`},
		{22, `user #3: missing id`},
		{23, `user cat: missing name`},
		{25, `user eve: slack_id U1 is already used by user dan`},
		{27, `asset t1: owner "zed" is not a user in the catalog`},
		{27, `asset t1: unknown tag "Secret"`},
		{28, `asset t1: duplicate id (first at line 27)`},
		{29, `asset t2: missing name`},
		{30, `asset t3: column ssn: unknown tag "SSN"`},
		{31, `asset #5: missing id`},
	}
	assert.Equal(t, want, ce.Problems)
	assert.Contains(t, err.Error(), `catalog.yaml:16: user bob: unknown attribute key "jobtitle"`)
	assert.Equal(t, len(want), strings.Count(err.Error(), "\n")+1)
}

func TestCatalogShapeErrors(t *testing.T) {
	cases := []struct {
		name, src string
		want      []Problem
	}{
		{"syntax", "tags: {}\nusers: a\n  id: b\n", []Problem{{3, "not valid YAML or JSON: mapping values are not allowed in this context"}}},
		{"empty", "", []Problem{{0, "the catalog is empty"}}},
		{"not a mapping", "- a\n- b\n", []Problem{{1, "catalog: expected a mapping, found a list"}}},
		{"users not a list", "users: {a: b}\n", []Problem{{1, "users: expected a list, found a mapping"}}},
		{"attribute value shape", "attributes: {k: {values: {v: {}}}}\nusers:\n  - {id: a, name: A, attributes: {k: {x: 1}}}\n",
			[]Problem{{3, "user a attribute k: expected a string or a list of strings, found a mapping"}}},
		{"duplicate tag", "tags:\n  PII: {}\n  PII: {}\n", []Problem{{3, `tags: "PII" is defined twice (first at line 2)`}}},
		{"duplicate user key", "users:\n  - id: a\n    name: A\n    name: B\n", []Problem{{4, `user #1: "name" is defined twice (first at line 3)`}}},
		{"groups on user not a list", "users:\n  - {id: a, name: A, groups: g}\n", []Problem{{2, "user a groups: expected a list of strings, found \"g\""}}},
		{"empty tag name", "tags:\n  \"\": {}\n", []Problem{{2, "tags: a tag needs a name"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCatalog("c.yaml", []byte(tc.src))
			var ce *CatalogError
			require.ErrorAs(t, err, &ce, "got %v", err)
			assert.Equal(t, tc.want, ce.Problems)
		})
	}
}

func TestCatalogWarnsAboutUnknownFields(t *testing.T) {
	src := "tags: {PII: {}}\nowners: []\nusers:\n  - {id: a, name: A, title: boss}\n"
	c, err := ParseCatalog("c.yaml", []byte(src))
	require.NoError(t, err)
	assert.Equal(t, []Problem{
		{2, `unknown section "owners" ignored (known: attributes, groups, users, tags, assets)`},
		{4, `user a: unknown field "title" ignored`},
	}, c.Warnings())
}

func TestCatalogAliasBombIsRejected(t *testing.T) {
	var b strings.Builder
	b.WriteString("x0: &x0 [PII, PII, PII, PII, PII, PII, PII, PII, PII, PII]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("x" + string(rune('0'+i)) + ": &x" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*x" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("tags: {PII: {}}\nassets:\n  - {id: a, name: a, tags: *x8}\n")
	_, err := ParseCatalog("bomb.yaml", []byte(b.String()))
	require.Error(t, err)
}

func TestNewCatalogValidates(t *testing.T) {
	_, err := NewCatalog(Catalog{Users: []User{{ID: "a", Name: "A", Groups: []string{"nope"}}}})
	var ce *CatalogError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, `catalog: user a: unknown group "nope"`, err.Error())
}

func TestLoadCatalogMissingFile(t *testing.T) {
	_, err := LoadCatalog(filepath.Join(t.TempDir(), "nope.yaml"))
	require.Error(t, err)
	assert.True(t, errors.Is(err, os.ErrNotExist))
	assert.Contains(t, err.Error(), "loading catalog")
}

func TestCatalogNameListShorthand(t *testing.T) {
	src := "attributes:\n  dept: {values: [Finance, Risk]}\ngroups: [g1, g2]\ntags: [PII, PCI]\nusers:\n  - {id: a, name: A, groups: [g2], attributes: {dept: Risk}}\nassets:\n  - {id: t, name: t, tags: [PCI]}\n"
	c, err := ParseCatalog("c.yaml", []byte(src))
	require.NoError(t, err)
	assert.Len(t, c.Tags, 2)
	assert.Len(t, c.Groups, 2)
	assert.Len(t, c.Attributes["dept"].Values, 2)

	_, err = ParseCatalog("c.yaml", []byte("tags:\n  - PII\n  - PII\n"))
	var ce *CatalogError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, []Problem{{3, `tags: "PII" is listed twice (first at line 2)`}}, ce.Problems)
}
