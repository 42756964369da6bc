package postgres

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/connectors"
	"github.com/steward-dev/steward/policy"
)

// TagsMarker starts the tag list in a table or column comment:
//
//	COMMENT ON TABLE finance.payments IS 'Card payments. steward:tags=PII,Domain.Finance';
//	COMMENT ON COLUMN finance.payments.iban IS 'steward:tags=Discovered.Entity.Bank Account Number';
//
// The list runs to the end of the line or to a ';', tags are separated by
// commas and trimmed (so tag names may contain spaces), and the marker may
// appear more than once. Everything else in the comment is ignored.
const TagsMarker = "steward:tags="

// ParseTags returns the tags a comment declares, in order, without duplicates.
func ParseTags(comment string) []string {
	var out []string
	seen := map[string]bool{}
	for {
		i := strings.Index(comment, TagsMarker)
		if i < 0 {
			return out
		}
		comment = comment[i+len(TagsMarker):]
		end := strings.IndexAny(comment, ";\n\r")
		list := comment
		if end >= 0 {
			list, comment = comment[:end], comment[end:]
		} else {
			comment = ""
		}
		for _, t := range strings.Split(list, ",") {
			t = strings.TrimSpace(t)
			if t != "" && !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
}

// Discover lists the database's tables, views and materialized views
// (outside pg_catalog, information_schema and pg_toast, and not part of an
// extension such as pg_stat_statements) as catalog assets,
// with tags from their comments (see TagsMarker). A table the catalog already
// knows keeps its catalog id and owner; others get AssetIDPrefix+schema.table.
//
// Usage, when pg_stat_statements is installed in the database and readable
// (superuser or pg_read_all_stats):
//   - QueryCount is the sum of `calls` of every statement in this database
//     executed by the user's login role or managed role whose text mentions
//     the table (schema-qualified, or unqualified for tables in public), as
//     counted since the statistics were last reset. Statements evicted from
//     pg_stat_statements (pg_stat_statements.max) are not counted, and a
//     table mentioned only in a function body is missed.
//   - LastQueryAt is always zero: PostgreSQL 15 does not record when a
//     statement last ran.
//   - Pairs reported: every (user, table) with at least one call, plus every
//     managed grant with none (QueryCount 0, Known true).
//
// Without pg_stat_statements every managed grant is reported with Known=false.
func (c *Connector) Discover(ctx context.Context) (connectors.Discovery, error) {
	d := connectors.Discovery{At: time.Now().UTC()}
	conn, err := c.connect(ctx)
	if err != nil {
		return d, err
	}
	defer conn.Close(context.Background())

	type rel struct {
		oid     uint32
		t       table
		comment string
	}
	rows, err := conn.Query(ctx, `SELECT c.oid, n.nspname, c.relname, coalesce(obj_description(c.oid, 'pg_class'), '')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
		  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND NOT starts_with(n.nspname, 'pg_toast') AND NOT starts_with(n.nspname, 'pg_temp')
		  AND NOT c.relispartition
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d
		                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
		ORDER BY n.nspname, c.relname`)
	if err != nil {
		return d, fmt.Errorf("postgres connector %s: listing tables: %w", c.cfg.Name, err)
	}
	var rels []rel
	var r rel
	if _, err := pgx.ForEachRow(rows, []any{&r.oid, &r.t.Schema, &r.t.Name, &r.comment}, func() error {
		rels = append(rels, r)
		return nil
	}); err != nil {
		return d, fmt.Errorf("postgres connector %s: listing tables: %w", c.cfg.Name, err)
	}

	colTags := map[uint32]map[string][]string{}
	rows, err = conn.Query(ctx, `SELECT a.attrelid, a.attname, d.description
		FROM pg_description d
		JOIN pg_attribute a ON a.attrelid = d.objoid AND a.attnum = d.objsubid
		WHERE d.classoid = 'pg_class'::regclass AND d.objsubid > 0 AND NOT a.attisdropped
		  AND strpos(d.description, $1) > 0`, TagsMarker)
	if err != nil {
		return d, fmt.Errorf("postgres connector %s: reading column comments: %w", c.cfg.Name, err)
	}
	var oid uint32
	var col, comment string
	if _, err := pgx.ForEachRow(rows, []any{&oid, &col, &comment}, func() error {
		if tags := ParseTags(comment); len(tags) > 0 {
			if colTags[oid] == nil {
				colTags[oid] = map[string][]string{}
			}
			colTags[oid][col] = tags
		}
		return nil
	}); err != nil {
		return d, fmt.Errorf("postgres connector %s: reading column comments: %w", c.cfg.Name, err)
	}

	for _, r := range rels {
		a := policy.Asset{ID: c.assetFor(r.t), Platform: c.cfg.Platform, Name: r.t.String(), Tags: ParseTags(r.comment), Columns: colTags[r.oid]}
		if known, ok := c.maps().assets[a.ID]; ok {
			a.Owner = known.Owner
		}
		d.Assets = append(d.Assets, a)
	}

	usage, err := c.usage(ctx, conn, rels2tables(rels, func(r rel) table { return r.t }), d.At)
	if err != nil {
		return d, fmt.Errorf("postgres connector %s: reading usage: %w", c.cfg.Name, err)
	}
	d.Usage = usage
	return d, nil
}

func rels2tables[R any](rs []R, f func(R) table) []table {
	out := make([]table, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// identRE matches an identifier, optionally schema-qualified, quoted or not.
var identRE = regexp.MustCompile(`("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\s*\.\s*("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))?`)

func unquoteIdent(s string) string {
	if strings.HasPrefix(s, `"`) {
		return strings.ReplaceAll(s[1:len(s)-1], `""`, `"`)
	}
	return strings.ToLower(s)
}

// tablesIn returns the known tables a statement's text mentions.
func tablesIn(query string, known map[table]bool) []table {
	var out []table
	seen := map[table]bool{}
	for _, m := range identRE.FindAllStringSubmatch(query, -1) {
		var t table
		if m[2] != "" {
			t = table{Schema: unquoteIdent(m[1]), Name: unquoteIdent(m[2])}
		} else {
			t = table{Schema: "public", Name: unquoteIdent(m[1])}
		}
		if known[t] && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func (c *Connector) usage(ctx context.Context, conn *pgx.Conn, tables []table, now time.Time) ([]approvals.Usage, error) {
	st, err := c.readState(ctx, conn, nil, nil)
	if err != nil {
		return nil, err
	}
	type key struct{ user, asset string }
	counts := map[key]int64{}
	if c.statStatements.Load() {
		// Login roles and managed roles both stand for a user.
		userOfRole := map[string]string{}
		for id, u := range c.maps().users {
			if login, err := c.cfg.UserMapping.LoginRole(u); err == nil {
				userOfRole[login] = id
			}
		}
		for role, id := range st.managed {
			if id != "" {
				userOfRole[role] = id
			}
		}
		known := map[table]bool{}
		for _, t := range tables {
			known[t] = true
		}
		rows, err := conn.Query(ctx, `SELECT r.rolname, s.query, sum(s.calls)::bigint
			FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
			WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
			GROUP BY 1, 2`)
		if err != nil {
			return nil, fmt.Errorf("reading pg_stat_statements: %w", err)
		}
		var role, query string
		var calls int64
		if _, err := pgx.ForEachRow(rows, []any{&role, &query, &calls}, func() error {
			id, ok := userOfRole[role]
			if !ok {
				return nil
			}
			for _, t := range tablesIn(query, known) {
				counts[key{id, c.assetFor(t)}] += calls
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("reading pg_stat_statements: %w", err)
		}
	}
	var out []approvals.Usage
	for k, n := range counts {
		out = append(out, approvals.Usage{User: k.user, Asset: k.asset, Known: true, QueryCount: n, ReportedAt: now})
	}
	for rt, p := range st.privs {
		if _, ok := p.action(); !ok {
			continue
		}
		k := key{userFor(st, rt.role), c.assetFor(rt.table)}
		if _, ok := counts[k]; ok {
			continue
		}
		counts[k] = 0
		out = append(out, approvals.Usage{User: k.user, Asset: k.asset, Known: c.statStatements.Load(), ReportedAt: now})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].User != out[j].User {
			return out[i].User < out[j].User
		}
		return out[i].Asset < out[j].Asset
	})
	return out, nil
}
