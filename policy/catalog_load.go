package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a catalog, at a line of its file (0 when
// the catalog was not read from a file).
type Problem struct {
	Line int    `json:"line,omitempty"`
	Msg  string `json:"msg"`
}

// CatalogError lists every problem found in a catalog, in file order, so a
// person can fix them all in one pass.
type CatalogError struct {
	File     string
	Problems []Problem
}

func (e *CatalogError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(formatProblem(e.File, p))
	}
	return b.String()
}

func formatProblem(file string, p Problem) string {
	if file == "" {
		file = "catalog"
	}
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", file, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", file, p.Msg)
}

// LoadCatalog reads, validates and indexes a catalog file (YAML or JSON).
// Validation problems come back together as a *CatalogError with line numbers.
func LoadCatalog(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("loading catalog: %w", err)
	}
	return ParseCatalog(filepath.Base(path), data)
}

// ParseCatalog is LoadCatalog on bytes; name is used in error messages.
func ParseCatalog(name string, data []byte) (*Catalog, error) {
	p := &catalogParser{file: name, budget: 20*len(data) + 100000}
	c, pos := p.parse(data)
	if len(p.problems) == 0 {
		p.problems = validateCatalog(c, pos)
	}
	if len(p.problems) > 0 {
		sortProblems(p.problems)
		return nil, &CatalogError{File: name, Problems: p.problems}
	}
	sortProblems(p.warnings)
	c.idx = buildCatalogIndex(c)
	c.idx.warnings = p.warnings
	return c, nil
}

// NewCatalog validates a catalog built in code (rather than read from a
// file) and builds its indexes. Problems carry no line numbers.
func NewCatalog(c Catalog) (*Catalog, error) {
	c.idx = nil
	for i := range c.Users {
		c.Users[i].Groups = nonNil(c.Users[i].Groups)
	}
	if probs := validateCatalog(&c, nil); len(probs) > 0 {
		return nil, &CatalogError{Problems: probs}
	}
	c.idx = buildCatalogIndex(&c)
	return &c, nil
}

// Warnings lists things in the catalog file that were ignored, such as
// fields Steward does not know. They do not stop the catalog from loading.
func (c *Catalog) Warnings() []Problem {
	if c.idx == nil {
		return nil
	}
	return c.idx.warnings
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func sortProblems(ps []Problem) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
}

// positions remembers where things were in the file so validation problems
// can point at the right line.
type positions struct {
	users  []userPos
	assets []assetPos
}

type userPos struct {
	line, id, name, email, slack int
	groups                       []int
	attrKeys                     map[string]int
	attrVals                     map[string][]int
}

type assetPos struct {
	line, id, name, owner int
	tags                  []int
	columns               map[string]int
	colTags               map[string][]int
}

func at(lines []int, i int) int {
	if i < len(lines) {
		return lines[i]
	}
	return 0
}

type catalogParser struct {
	file     string
	problems []Problem
	warnings []Problem
	budget   int
	over     bool
}

func (p *catalogParser) errf(n *yaml.Node, format string, args ...any) {
	p.problems = append(p.problems, Problem{Line: line(n), Msg: fmt.Sprintf(format, args...)})
}

func (p *catalogParser) warnf(n *yaml.Node, format string, args ...any) {
	p.warnings = append(p.warnings, Problem{Line: line(n), Msg: fmt.Sprintf(format, args...)})
}

func line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// jsonTabs makes tab-indented JSON readable by the YAML parser: a JSON
// document cannot hold a raw tab inside a string, so every tab is
// whitespace between tokens and a space does the same job without moving
// any line.
func jsonTabs(data []byte) []byte {
	t := bytes.TrimSpace(data)
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') || !bytes.ContainsRune(data, '\t') || !json.Valid(data) {
		return data
	}
	return bytes.ReplaceAll(data, []byte{'\t'}, []byte{' '})
}

// deref follows YAML aliases, charging the expansion against the budget so
// a small file cannot expand into an enormous catalog.
func (p *catalogParser) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	p.budget--
	if p.budget < 0 {
		if !p.over {
			p.over = true
			p.errf(n, "catalog too large once YAML aliases are expanded")
		}
		return nil
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// str reads a scalar as text; null reads as "".
func (p *catalogParser) str(n *yaml.Node, what string) (string, bool) {
	n = p.deref(n)
	if n == nil || isNull(n) {
		return "", true
	}
	if n.Kind != yaml.ScalarNode {
		p.errf(n, "%s: expected a string, found %s", what, kindName(n))
		return "", false
	}
	return n.Value, true
}

// strList reads a list of strings (null is an empty list) and their lines.
// With single set, a lone string is accepted as a one-item list.
func (p *catalogParser) strList(n *yaml.Node, what string, single bool) ([]string, []int) {
	n = p.deref(n)
	if n == nil || isNull(n) {
		return []string{}, nil
	}
	if n.Kind == yaml.ScalarNode && single {
		return []string{n.Value}, []int{n.Line}
	}
	if n.Kind != yaml.SequenceNode {
		if single {
			p.errf(n, "%s: expected a string or a list of strings, found %s", what, kindName(n))
		} else {
			p.errf(n, "%s: expected a list of strings, found %s", what, kindName(n))
		}
		return []string{}, nil
	}
	out := make([]string, 0, len(n.Content))
	lines := make([]int, 0, len(n.Content))
	for _, item := range n.Content {
		s, ok := p.str(item, what)
		if !ok {
			continue
		}
		out = append(out, s)
		lines = append(lines, line(item))
	}
	return out, lines
}

type field struct {
	key string
	k   *yaml.Node
	v   *yaml.Node
}

// fields reads a mapping's entries, reporting duplicate keys. what names the
// mapping in messages.
func (p *catalogParser) fields(n *yaml.Node, what string) ([]field, bool) {
	n = p.deref(n)
	if n == nil || isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		p.errf(n, "%s: expected a mapping, found %s", what, kindName(n))
		return nil, false
	}
	seen := map[string]int{}
	out := make([]field, 0, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := p.deref(n.Content[i])
		if k == nil {
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.errf(k, "%s: keys must be strings, found %s", what, kindName(k))
			continue
		}
		key := k.Value
		if k.Tag == "!!merge" {
			p.errf(k, "%s: YAML merge keys (<<) are not supported", what)
			continue
		}
		if first, dup := seen[key]; dup {
			p.errf(k, "%s: %q is defined twice (first at line %d)", what, key, first)
			continue
		}
		seen[key] = k.Line
		out = append(out, field{key: key, k: k, v: n.Content[i+1]})
	}
	return out, true
}

func (p *catalogParser) parse(data []byte) (*Catalog, *positions) {
	c := &Catalog{Attributes: map[string]Attribute{}, Groups: map[string]Group{}, Tags: map[string]Tag{}}
	pos := &positions{}
	var doc yaml.Node
	if err := yaml.Unmarshal(jsonTabs(data), &doc); err != nil {
		msg := err.Error()
		ln := 0
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			ln, _ = strconv.Atoi(m[1])
			msg = m[2]
		} else {
			msg = strings.TrimPrefix(msg, "yaml: ")
		}
		p.problems = append(p.problems, Problem{Line: ln, Msg: "not valid YAML or JSON: " + msg})
		return c, pos
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		p.problems = append(p.problems, Problem{Msg: "the catalog is empty"})
		return c, pos
	}
	root := doc.Content[0]
	fs, ok := p.fields(root, "catalog")
	if !ok {
		return c, pos
	}
	for _, f := range fs {
		switch f.key {
		case "attributes":
			p.attributes(c, f.v)
		case "groups":
			c.Groups = named(p, f.v, "group", func(d string, a []string) Group { return Group{Description: d, Aliases: a} })
		case "tags":
			c.Tags = named(p, f.v, "tag", func(d string, a []string) Tag { return Tag{Description: d, Aliases: a} })
		case "users":
			p.users(c, pos, f.v)
		case "assets":
			p.assets(c, pos, f.v)
		default:
			p.warnf(f.k, "unknown section %q ignored (known: attributes, groups, users, tags, assets)", f.key)
		}
	}
	return c, pos
}

// described reads {description: str, aliases: [str]} (or null), the shape
// shared by values, groups and tags.
func (p *catalogParser) described(n *yaml.Node, what string) (string, []string) {
	fs, _ := p.fields(n, what)
	var desc string
	var aliases []string
	for _, f := range fs {
		switch f.key {
		case "description":
			desc, _ = p.str(f.v, what+" description")
		case "aliases":
			aliases, _ = p.strList(f.v, what+" aliases", false)
		default:
			p.warnf(f.k, "%s: unknown field %q ignored", what, f.key)
		}
	}
	return desc, aliases
}

func named[T any](p *catalogParser, n *yaml.Node, kind string, mk func(string, []string) T) map[string]T {
	out := map[string]T{}
	if p.isSeq(n) {
		for _, name := range p.nameList(n, kind+"s") {
			out[name] = mk("", nil)
		}
		return out
	}
	fs, _ := p.fields(n, kind+"s")
	for _, f := range fs {
		if strings.TrimSpace(f.key) == "" {
			p.errf(f.k, "%ss: a %s needs a name", kind, kind)
			continue
		}
		d, a := p.described(f.v, kind+" "+f.key)
		out[f.key] = mk(d, a)
	}
	return out
}

// nameList accepts the shorthand of a plain list of names where a mapping
// of name -> {description, aliases} is expected (tags: [PII, PCI]). It
// returns nil, leaving the node to fields, when the node is not a list.
func (p *catalogParser) isSeq(n *yaml.Node) bool {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	return n != nil && n.Kind == yaml.SequenceNode
}

func (p *catalogParser) nameList(n *yaml.Node, what string) []string {
	d := p.deref(n)
	if d == nil || d.Kind != yaml.SequenceNode {
		return nil
	}
	names, lines := p.strList(d, what, false)
	seen := map[string]int{}
	out := names[:0]
	for i, name := range names {
		if strings.TrimSpace(name) == "" {
			p.errf(d, "%s: a name cannot be empty", what)
			continue
		}
		if first, dup := seen[name]; dup {
			p.problems = append(p.problems, Problem{Line: lines[i], Msg: fmt.Sprintf("%s: %q is listed twice (first at line %d)", what, name, first)})
			continue
		}
		seen[name] = lines[i]
		out = append(out, name)
	}
	return out
}

func (p *catalogParser) attributes(c *Catalog, n *yaml.Node) {
	fs, _ := p.fields(n, "attributes")
	for _, f := range fs {
		what := "attribute " + f.key
		if strings.TrimSpace(f.key) == "" {
			p.errf(f.k, "attributes: an attribute needs a name")
			continue
		}
		a := Attribute{Values: map[string]Value{}}
		afs, _ := p.fields(f.v, what)
		for _, af := range afs {
			switch af.key {
			case "description":
				a.Description, _ = p.str(af.v, what+" description")
			case "values":
				if p.isSeq(af.v) {
					for _, v := range p.nameList(af.v, what+" values") {
						a.Values[v] = Value{}
					}
					break
				}
				vfs, _ := p.fields(af.v, what+" values")
				for _, vf := range vfs {
					if vf.key == "" {
						p.errf(vf.k, "%s: a value cannot be empty", what)
						continue
					}
					d, al := p.described(vf.v, what+" value "+vf.key)
					a.Values[vf.key] = Value{Description: d, Aliases: al}
				}
			default:
				p.warnf(af.k, "%s: unknown field %q ignored", what, af.key)
			}
		}
		c.Attributes[f.key] = a
	}
}

func (p *catalogParser) seq(n *yaml.Node, what string) []*yaml.Node {
	n = p.deref(n)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errf(n, "%s: expected a list, found %s", what, kindName(n))
		return nil
	}
	return n.Content
}

func (p *catalogParser) users(c *Catalog, pos *positions, n *yaml.Node) {
	for i, un := range p.seq(n, "users") {
		un = p.deref(un)
		if un == nil {
			continue
		}
		what := fmt.Sprintf("user #%d", i+1)
		u := User{Groups: []string{}}
		up := userPos{line: un.Line, attrKeys: map[string]int{}, attrVals: map[string][]int{}}
		fs, ok := p.fields(un, what)
		if !ok {
			continue
		}
		for _, f := range fs {
			if f.key == "id" {
				u.ID, _ = p.str(f.v, what+" id")
				up.id = line(f.v)
				if u.ID != "" {
					what = "user " + u.ID
				}
			}
		}
		for _, f := range fs {
			switch f.key {
			case "id":
			case "name":
				u.Name, _ = p.str(f.v, what+" name")
				up.name = line(f.v)
			case "email":
				u.Email, _ = p.str(f.v, what+" email")
				up.email = line(f.v)
			case "slack_id":
				u.SlackID, _ = p.str(f.v, what+" slack_id")
				up.slack = line(f.v)
			case "groups":
				u.Groups, up.groups = p.strList(f.v, what+" groups", false)
			case "attributes":
				afs, _ := p.fields(f.v, what+" attributes")
				if len(afs) > 0 {
					u.Attributes = make(map[string][]string, len(afs))
				}
				for _, af := range afs {
					vals, lines := p.strList(af.v, what+" attribute "+af.key, true)
					u.Attributes[af.key] = vals
					up.attrKeys[af.key] = af.k.Line
					up.attrVals[af.key] = lines
				}
			default:
				p.warnf(f.k, "%s: unknown field %q ignored", what, f.key)
			}
		}
		c.Users = append(c.Users, u)
		pos.users = append(pos.users, up)
	}
}

func (p *catalogParser) assets(c *Catalog, pos *positions, n *yaml.Node) {
	for i, an := range p.seq(n, "assets") {
		an = p.deref(an)
		if an == nil {
			continue
		}
		what := fmt.Sprintf("asset #%d", i+1)
		a := Asset{}
		ap := assetPos{line: an.Line, columns: map[string]int{}, colTags: map[string][]int{}}
		fs, ok := p.fields(an, what)
		if !ok {
			continue
		}
		for _, f := range fs {
			if f.key == "id" {
				a.ID, _ = p.str(f.v, what+" id")
				ap.id = line(f.v)
				if a.ID != "" {
					what = "asset " + a.ID
				}
			}
		}
		for _, f := range fs {
			switch f.key {
			case "id":
			case "name":
				a.Name, _ = p.str(f.v, what+" name")
				ap.name = line(f.v)
			case "platform":
				a.Platform, _ = p.str(f.v, what+" platform")
			case "owner":
				a.Owner, _ = p.str(f.v, what+" owner")
				ap.owner = line(f.v)
			case "tags":
				a.Tags, ap.tags = p.strList(f.v, what+" tags", false)
			case "columns":
				cfs, _ := p.fields(f.v, what+" columns")
				if len(cfs) > 0 {
					a.Columns = make(map[string][]string, len(cfs))
				}
				for _, cf := range cfs {
					tags, lines := p.strList(cf.v, what+" column "+cf.key, false)
					a.Columns[cf.key] = tags
					ap.columns[cf.key] = cf.k.Line
					ap.colTags[cf.key] = lines
				}
			default:
				p.warnf(f.k, "%s: unknown field %q ignored", what, f.key)
			}
		}
		c.Assets = append(c.Assets, a)
		pos.assets = append(pos.assets, ap)
	}
}

// validateCatalog checks cross references and identity rules. pos may be
// nil (catalog built in code); problems then have no line.
func validateCatalog(c *Catalog, pos *positions) []Problem {
	var probs []Problem
	add := func(line int, format string, args ...any) {
		probs = append(probs, Problem{Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	// Suggestions cost a scan of the known names; remember them and stop
	// suggesting after a while, so a catalog with a million bad references
	// still fails fast.
	memo := map[string]string{}
	suggest := func(kind, got string, known func() []string) string {
		key := kind + "\x00" + got
		if s, ok := memo[key]; ok {
			return s
		}
		if len(memo) >= 100 {
			return ""
		}
		s := suggest(got, known())
		memo[key] = s
		return s
	}
	tagNames := func() []string { return keys(c.Tags) }
	upos := func(i int) userPos {
		if pos != nil && i < len(pos.users) {
			return pos.users[i]
		}
		return userPos{}
	}
	apos := func(i int) assetPos {
		if pos != nil && i < len(pos.assets) {
			return pos.assets[i]
		}
		return assetPos{}
	}
	orLine := func(l, fallback int) int {
		if l > 0 {
			return l
		}
		return fallback
	}
	for k := range c.Attributes {
		if strings.TrimSpace(k) == "" {
			add(0, "attributes: an attribute needs a name")
		}
	}

	userLine := map[string]int{}
	userIdx := map[string]int{}
	slackOwner := map[string]int{}
	emailOwner := map[string]int{}
	for i, u := range c.Users {
		up := upos(i)
		what := fmt.Sprintf("user #%d", i+1)
		if strings.TrimSpace(u.ID) == "" {
			add(up.line, "%s: missing id", what)
		} else {
			what = "user " + u.ID
			if j, dup := userIdx[u.ID]; dup {
				add(orLine(up.id, up.line), "%s: duplicate id (first at %s)", what, where(userLine[u.ID], j, "user"))
			} else {
				userIdx[u.ID] = i
				userLine[u.ID] = up.line
			}
		}
		if strings.TrimSpace(u.Name) == "" {
			add(orLine(up.name, up.line), "%s: missing name", what)
		}
		if u.SlackID != "" {
			if j, dup := slackOwner[u.SlackID]; dup {
				add(orLine(up.slack, up.line), "%s: slack_id %s is already used by user %s", what, u.SlackID, c.Users[j].ID)
			} else {
				slackOwner[u.SlackID] = i
			}
		}
		if u.Email != "" {
			e := strings.ToLower(u.Email)
			if j, dup := emailOwner[e]; dup {
				add(orLine(up.email, up.line), "%s: email %s is already used by user %s", what, u.Email, c.Users[j].ID)
			} else {
				emailOwner[e] = i
			}
		}
		for gi, g := range u.Groups {
			if _, ok := c.Groups[g]; !ok {
				add(orLine(at(up.groups, gi), up.line), "%s: unknown group %q%s", what, g, suggest("group", g, func() []string { return keys(c.Groups) }))
			}
		}
		for _, k := range sortedKeys(u.Attributes) {
			vals := u.Attributes[k]
			attr, ok := c.Attributes[k]
			if !ok {
				add(orLine(up.attrKeys[k], up.line), "%s: unknown attribute key %q%s", what, k, suggest("attribute", k, func() []string { return keys(c.Attributes) }))
				continue
			}
			for vi, v := range vals {
				if _, ok := attr.Values[v]; !ok {
					add(orLine(at(up.attrVals[k], vi), orLine(up.attrKeys[k], up.line)), "%s: unknown value %q for attribute %s%s", what, v, k, suggest("value "+k, v, func() []string { return keys(attr.Values) }))
				}
			}
		}
	}

	assetIdx := map[string]int{}
	assetLine := map[string]int{}
	for i, a := range c.Assets {
		ap := apos(i)
		what := fmt.Sprintf("asset #%d", i+1)
		if strings.TrimSpace(a.ID) == "" {
			add(ap.line, "%s: missing id", what)
		} else {
			what = "asset " + a.ID
			if j, dup := assetIdx[a.ID]; dup {
				add(orLine(ap.id, ap.line), "%s: duplicate id (first at %s)", what, where(assetLine[a.ID], j, "asset"))
			} else {
				assetIdx[a.ID] = i
				assetLine[a.ID] = ap.line
			}
		}
		if strings.TrimSpace(a.Name) == "" {
			add(orLine(ap.name, ap.line), "%s: missing name", what)
		}
		if a.Owner != "" {
			if _, ok := userIdx[a.Owner]; !ok {
				add(orLine(ap.owner, ap.line), "%s: owner %q is not a user in the catalog", what, a.Owner)
			}
		}
		for ti, t := range a.Tags {
			if _, ok := c.Tags[t]; !ok {
				add(orLine(at(ap.tags, ti), ap.line), "%s: unknown tag %q%s", what, t, suggest("tag", t, tagNames))
			}
		}
		for _, col := range sortedKeys(a.Columns) {
			for ti, t := range a.Columns[col] {
				if _, ok := c.Tags[t]; !ok {
					add(orLine(at(ap.colTags[col], ti), orLine(ap.columns[col], ap.line)), "%s: column %s: unknown tag %q%s", what, col, t, suggest("tag", t, tagNames))
				}
			}
		}
	}
	sortProblems(probs)
	return probs
}

func where(line, idx int, kind string) string {
	if line > 0 {
		return fmt.Sprintf("line %d", line)
	}
	return fmt.Sprintf("%s #%d", kind, idx+1)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string { return keys(m) }

// suggest names the closest known name when a typo is likely, so an
// error says how to fix itself.
func suggest(got string, known []string) string {
	best, bestD := "", 1<<30
	lg := strings.ToLower(got)
	for _, k := range known {
		d := editDistance(lg, strings.ToLower(k), bestD)
		if d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" || bestD > 2+len(got)/6 || bestD >= len(got) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is Levenshtein distance, giving up early once it exceeds limit.
func editDistance(a, b string, limit int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d > limit || -d > limit {
		return limit + 1
	}
	if len(ra) > 200 || len(rb) > 200 {
		return limit + 1
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
