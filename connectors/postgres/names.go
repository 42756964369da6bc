package postgres

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/steward-dev/steward/policy"
)

// maxIdentLen is PostgreSQL's NAMEDATALEN-1: longer names are truncated by
// the server, which would make two managed roles collide.
const maxIdentLen = 63

// table is a schema-qualified relation.
type table struct{ Schema, Name string }

// String is the readable "schema.table" form used in asset names.
func (t table) String() string { return t.Schema + "." + t.Name }

// sql is the quoted identifier for statements. Every relation name that goes
// into SQL passes through pgx.Identifier: never format a name any other way.
func (t table) sql() string { return pgx.Identifier{t.Schema, t.Name}.Sanitize() }

// parseTableName reads an asset name: "schema.table", or "table" in public.
// The schema ends at the first dot, so table names may contain dots but
// schema names may not.
func parseTableName(name string) (table, error) {
	if name == "" {
		return table{}, fmt.Errorf("empty table name")
	}
	if strings.ContainsRune(name, 0) {
		return table{}, fmt.Errorf("table name %q contains a NUL byte", name)
	}
	schema, rel, ok := strings.Cut(name, ".")
	if !ok {
		return table{Schema: "public", Name: name}, nil
	}
	if schema == "" || rel == "" {
		return table{}, fmt.Errorf("table name %q: want schema.table", name)
	}
	return table{Schema: schema, Name: rel}, nil
}

// ident quotes one identifier (a role name).
func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// literal quotes a string constant the way PostgreSQL's quote_literal does,
// so it is safe whatever standard_conforming_strings says.
func literal(s string) string {
	s = strings.ReplaceAll(s, "\x00", "")
	q := "'" + strings.ReplaceAll(s, "'", "''") + "'"
	if strings.Contains(s, `\`) {
		q = "E" + strings.ReplaceAll(q, `\`, `\\`)
	}
	return q
}

// managedRoleName is the NOLOGIN role Steward grants through for a user:
// prefix plus the user id folded to [a-z0-9_]. When folding loses
// information (or the name would be too long) a hash of the id is appended,
// so distinct ids never share a role.
func managedRoleName(prefix, userID string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(userID) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	folded := b.String()
	if folded == userID && len(prefix)+len(folded) <= maxIdentLen {
		return prefix + folded
	}
	sum := sha256.Sum256([]byte(userID))
	suffix := "_" + hex.EncodeToString(sum[:4])
	room := maxIdentLen - len(prefix) - len(suffix)
	if room < 0 {
		room = 0
	}
	if len(folded) > room {
		folded = folded[:room]
	}
	return prefix + folded + suffix
}

// roleComment marks a managed role with the catalog user it belongs to, so
// grants can be attributed even after the catalog changes.
const roleCommentPrefix = "steward:user="

func roleComment(userID string) string { return roleCommentPrefix + userID }

func userFromComment(c string) (string, bool) {
	id, ok := strings.CutPrefix(c, roleCommentPrefix)
	return id, ok && id != ""
}

// MappingKind says how a catalog user becomes a PostgreSQL login role.
type MappingKind string

const (
	// MapByEmail uses the local part of the user's email, lower-cased
	// (alice.smith@example.com -> alice.smith).
	MapByEmail MappingKind = "email"
	// MapByAttribute uses the value of a user attribute (e.g. pg_role).
	MapByAttribute MappingKind = "attribute"
	// MapByID uses the catalog user id as is.
	MapByID MappingKind = "id"
)

// UserMapping maps catalog users to login roles. The zero value maps by email.
type UserMapping struct {
	Kind      MappingKind
	Attribute string // for MapByAttribute
}

// ParseUserMapping reads "email", "id" or "attribute:NAME".
func ParseUserMapping(s string) (UserMapping, error) {
	switch {
	case s == "" || s == string(MapByEmail):
		return UserMapping{Kind: MapByEmail}, nil
	case s == string(MapByID):
		return UserMapping{Kind: MapByID}, nil
	case strings.HasPrefix(s, "attribute:") && len(s) > len("attribute:"):
		return UserMapping{Kind: MapByAttribute, Attribute: strings.TrimPrefix(s, "attribute:")}, nil
	}
	return UserMapping{}, fmt.Errorf("user mapping %q: want email, id or attribute:NAME", s)
}

func (m UserMapping) String() string {
	if m.Kind == MapByAttribute {
		return "attribute:" + m.Attribute
	}
	if m.Kind == "" {
		return string(MapByEmail)
	}
	return string(m.Kind)
}

// LoginRole returns the login role for u, or why there is none.
func (m UserMapping) LoginRole(u policy.User) (string, error) {
	var role string
	switch m.Kind {
	case "", MapByEmail:
		local, _, ok := strings.Cut(u.Email, "@")
		if !ok || local == "" {
			return "", fmt.Errorf("user %s has no email to map to a PostgreSQL login role", u.ID)
		}
		role = strings.ToLower(local)
	case MapByID:
		role = u.ID
	case MapByAttribute:
		vals := u.Attributes[m.Attribute]
		if len(vals) != 1 || vals[0] == "" {
			return "", fmt.Errorf("user %s needs exactly one %s attribute to map to a PostgreSQL login role (has %d)", u.ID, m.Attribute, len(vals))
		}
		role = vals[0]
	default:
		return "", fmt.Errorf("unknown user mapping %q", m.Kind)
	}
	if len(role) > maxIdentLen || strings.ContainsRune(role, 0) {
		return "", fmt.Errorf("user %s maps to %q, which is not a valid PostgreSQL role name", u.ID, role)
	}
	return role, nil
}
