// Package postgres is Steward's PostgreSQL connector.
//
// Model: each catalog user maps to an existing PostgreSQL login role (by
// email local part, by a user attribute such as pg_role, or by id; see
// UserMapping). Steward never grants to login roles directly. It creates one
// NOLOGIN role per user, named RolePrefix + the user id folded to
// [a-z0-9_] (default "steward_u_alice"), commented "steward:user=<id>",
// grants that role to the login role, and grants table privileges to it:
// read -> SELECT; write -> SELECT, INSERT, UPDATE, DELETE. Managed grants are
// therefore exactly the privileges held by roles whose name starts with
// RolePrefix; everything else (privileges granted by hand, to any other role)
// is never read or changed. A managed role belongs to Steward: if it is
// found granted to anyone but the user's current login role (the mapping
// changed, or someone granted it by hand) that membership is revoked, since
// it would hand out the user's access.
//
// Assets: a catalog asset whose Platform is the connector's platform names a
// table as "schema.table" ("table" means public.table).
//
// Every identifier goes through pgx.Identifier.Sanitize, and the only string
// constant (the role comment) through literal quoting.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/steward-dev/steward/connectors"
	"github.com/steward-dev/steward/policy"
)

// Config configures one PostgreSQL connector.
type Config struct {
	// Name identifies the connector and its reconcile lease (default "postgres").
	Name string
	// Platform is the catalog asset platform it serves (default Name).
	Platform string
	// URL is a pgx connection string for a role that may create roles and
	// grant on the managed tables (a superuser, or CREATEROLE plus ownership
	// or grant options). It is a secret when it holds a password: never logged.
	URL string
	// UserMapping maps catalog users to login roles (default by email).
	UserMapping UserMapping
	// RolePrefix names the managed roles (default "steward_u_").
	RolePrefix string
	// AssetIDPrefix prefixes ids of discovered tables the catalog does not
	// know yet: AssetIDPrefix + "schema.table" (default "pg.").
	AssetIDPrefix string
	// BatchSize is how many statements go to the server in one transaction
	// (default 1000).
	BatchSize int
	// LockTimeout bounds waits for locks held by others (default 10s).
	LockTimeout time.Duration
	Logger      *slog.Logger
}

// catalogMaps is what the connector needs of the catalog, built once per
// catalog and swapped whole, so a reload never shows a pass half of each.
type catalogMaps struct {
	users   map[string]policy.User  // by id
	assets  map[string]policy.Asset // by id, this platform only
	byTable map[table]string        // table -> asset id
	byRole  map[string]string       // managed role -> user id, from the catalog
}

func newCatalogMaps(cfg Config, cat *policy.Catalog) *catalogMaps {
	m := &catalogMaps{users: map[string]policy.User{}, assets: map[string]policy.Asset{},
		byTable: map[table]string{}, byRole: map[string]string{}}
	if cat == nil {
		return m
	}
	for _, u := range cat.Users {
		m.users[u.ID] = u
		m.byRole[managedRoleName(cfg.RolePrefix, u.ID)] = u.ID
	}
	for _, a := range cat.Assets {
		if a.Platform != cfg.Platform {
			continue
		}
		m.assets[a.ID] = a
		if t, err := parseTableName(a.Name); err == nil {
			m.byTable[t] = a.ID
		}
	}
	return m
}

// SetCatalog replaces the catalog, for example after the file was reloaded.
// A pass already running finishes with the catalog it started with. Grants
// of users and tables the new catalog lacks are still found and revoked:
// managed roles name their user, and unknown tables are reported by name.
func (c *Connector) SetCatalog(cat *policy.Catalog) { c.cat.Store(newCatalogMaps(c.cfg, cat)) }

func (c *Connector) maps() *catalogMaps { return c.cat.Load() }

// DefaultRolePrefix names managed roles unless configured otherwise.
const DefaultRolePrefix = "steward_u_"

// Connector reports and changes privileges on one PostgreSQL database.
// It connects per operation, so a server restart between passes costs nothing.
type Connector struct {
	cfg     Config
	connCfg *pgx.ConnConfig
	log     *slog.Logger

	cat atomic.Pointer[catalogMaps]

	statStatements atomic.Bool
}

var _ connectors.Connector = (*Connector)(nil)

// New validates cfg and indexes the catalog. It does not connect: the
// server may be down at start-up, and every operation connects itself.
func New(ctx context.Context, cfg Config, cat *policy.Catalog) (*Connector, error) {
	if cfg.Name == "" {
		cfg.Name = "postgres"
	}
	if cfg.Platform == "" {
		cfg.Platform = cfg.Name
	}
	if cfg.RolePrefix == "" {
		cfg.RolePrefix = DefaultRolePrefix
	}
	if cfg.AssetIDPrefix == "" {
		cfg.AssetIDPrefix = "pg."
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	if cfg.LockTimeout <= 0 {
		cfg.LockTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if !validPrefix(cfg.RolePrefix) {
		return nil, fmt.Errorf("postgres connector %s: role prefix %q must be at most 40 characters of a-z, 0-9 and _", cfg.Name, cfg.RolePrefix)
	}
	if cfg.UserMapping.Kind == MapByAttribute && cfg.UserMapping.Attribute == "" {
		return nil, fmt.Errorf("postgres connector %s: attribute user mapping needs an attribute name", cfg.Name)
	}
	if cfg.URL == "" {
		return nil, fmt.Errorf("postgres connector %s: no connection URL", cfg.Name)
	}
	connCfg, err := pgx.ParseConfig(cfg.URL)
	if err != nil {
		// pgx redacts passwords from its parse errors.
		return nil, fmt.Errorf("postgres connector %s: parsing connection URL: %w", cfg.Name, err)
	}
	if connCfg.ConnectTimeout == 0 {
		// A blackholed server must fail the pass, not hang it until the lease ends.
		connCfg.ConnectTimeout = 10 * time.Second
	}
	if connCfg.RuntimeParams == nil {
		connCfg.RuntimeParams = map[string]string{}
	}
	if _, ok := connCfg.RuntimeParams["application_name"]; !ok {
		connCfg.RuntimeParams["application_name"] = "steward"
	}
	c := &Connector{
		cfg:     cfg,
		connCfg: connCfg,
		log:     cfg.Logger.With("connector", cfg.Name),
	}
	c.SetCatalog(cat)
	return c, ctx.Err()
}

// validPrefix: managed role names must need no quoting and leave room for ids.
func validPrefix(p string) bool {
	if p == "" || len(p) > 40 || (p[0] >= '0' && p[0] <= '9') {
		return false
	}
	for _, r := range p {
		if !((r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_') {
			return false
		}
	}
	return true
}

func (c *Connector) Name() string     { return c.cfg.Name }
func (c *Connector) Platform() string { return c.cfg.Platform }

// Capabilities: no native expiry (the reconciler revokes); usage when
// pg_stat_statements was found by the last Ping, Plan or Discover.
func (c *Connector) Capabilities() connectors.Capabilities {
	return connectors.Capabilities{NativeExpiry: false, Usage: c.statStatements.Load()}
}

// Target is host:port/database, safe to show (no credentials).
func (c *Connector) Target() string {
	return net.JoinHostPort(c.connCfg.Host, strconv.Itoa(int(c.connCfg.Port))) + "/" + c.connCfg.Database
}

func (c *Connector) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, c.connCfg.Copy())
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL at %s: %w", c.Target(), err)
	}
	ms := c.cfg.LockTimeout.Milliseconds()
	if _, err := conn.Exec(ctx, "SET lock_timeout = "+strconv.FormatInt(ms, 10)); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("setting lock_timeout on %s: %w", c.Target(), err)
	}
	if err := c.probe(ctx, conn); err != nil {
		conn.Close(context.Background())
		return nil, err
	}
	return conn, nil
}

func (c *Connector) probe(ctx context.Context, conn *pgx.Conn) error {
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('pg_stat_statements') IS NOT NULL").Scan(&ok); err != nil {
		return fmt.Errorf("probing pg_stat_statements on %s: %w", c.Target(), err)
	}
	c.statStatements.Store(ok)
	return nil
}

// Ping connects once, to check the settings and learn the capabilities.
func (c *Connector) Ping(ctx context.Context) error {
	conn, err := c.connect(ctx)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

// Privileges are the table privileges Steward manages, as a bit set.
type privs uint8

const (
	privSelect privs = 1 << iota
	privInsert
	privUpdate
	privDelete
)

const (
	readPrivs  = privSelect
	writePrivs = privSelect | privInsert | privUpdate | privDelete
)

var privNames = []struct {
	p    privs
	name string
}{{privSelect, "SELECT"}, {privInsert, "INSERT"}, {privUpdate, "UPDATE"}, {privDelete, "DELETE"}}

func (p privs) names() []string {
	var out []string
	for _, n := range privNames {
		if p&n.p != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

func privFromName(s string) privs {
	for _, n := range privNames {
		if n.name == s {
			return n.p
		}
	}
	return 0
}

func actionPrivs(a policy.Action) (privs, bool) {
	switch a {
	case policy.Read:
		return readPrivs, true
	case policy.Write:
		return writePrivs, true
	}
	return 0, false
}

// action is the catalog action a privilege set amounts to, if any.
func (p privs) action() (policy.Action, bool) {
	switch {
	case p&writePrivs == writePrivs:
		return policy.Write, true
	case p&privSelect != 0:
		return policy.Read, true
	}
	return "", false
}

// changeAction names the action a change adds or removes privileges for.
func (p privs) changeAction() policy.Action {
	if p&^readPrivs != 0 {
		return policy.Write
	}
	return policy.Read
}

// roleTable keys privileges held by a managed role on a table.
type roleTable struct {
	role  string
	table table
}

// state is what the server holds now, as far as Steward manages it.
type state struct {
	managed map[string]string   // managed role -> user id ("" when unknown)
	members map[string][]string // managed role -> roles it is granted to
	privs   map[roleTable]privs // managed privileges
	logins  map[string]bool     // existing login roles among those asked about
	tables  map[table]bool      // existing relations among those asked about
}

func (c *Connector) readState(ctx context.Context, conn *pgx.Conn, logins []string, tables []table) (*state, error) {
	st := &state{
		managed: map[string]string{},
		members: map[string][]string{},
		privs:   map[roleTable]privs{},
		logins:  map[string]bool{},
		tables:  map[table]bool{},
	}
	prefix := c.cfg.RolePrefix
	byRole := c.maps().byRole
	rows, err := conn.Query(ctx, `SELECT rolname, coalesce(shobj_description(oid, 'pg_authid'), '')
		FROM pg_roles WHERE starts_with(rolname, $1)`, prefix)
	if err != nil {
		return nil, fmt.Errorf("listing managed roles: %w", err)
	}
	var role, comment string
	if _, err := pgx.ForEachRow(rows, []any{&role, &comment}, func() error {
		id, ok := userFromComment(comment)
		if !ok {
			id = byRole[role]
		}
		st.managed[role] = id
		return nil
	}); err != nil {
		return nil, fmt.Errorf("listing managed roles: %w", err)
	}

	rows, err = conn.Query(ctx, `SELECT r.rolname, m.rolname FROM pg_auth_members am
		JOIN pg_roles r ON r.oid = am.roleid JOIN pg_roles m ON m.oid = am.member
		WHERE starts_with(r.rolname, $1)`, prefix)
	if err != nil {
		return nil, fmt.Errorf("listing managed role memberships: %w", err)
	}
	var member string
	if _, err := pgx.ForEachRow(rows, []any{&role, &member}, func() error {
		st.members[role] = append(st.members[role], member)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("listing managed role memberships: %w", err)
	}

	// Direct privileges of managed roles, from the relations' ACLs: the
	// grants Steward made. Privileges held through other roles are not ours.
	rows, err = conn.Query(ctx, `SELECT g.rolname, n.nspname, c.relname, a.privilege_type
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		CROSS JOIN LATERAL aclexplode(c.relacl) a
		JOIN pg_roles g ON g.oid = a.grantee
		WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
		  AND starts_with(g.rolname, $1)
		  AND a.privilege_type IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE')`, prefix)
	if err != nil {
		return nil, fmt.Errorf("listing managed privileges: %w", err)
	}
	var t table
	var priv string
	if _, err := pgx.ForEachRow(rows, []any{&role, &t.Schema, &t.Name, &priv}, func() error {
		st.privs[roleTable{role, t}] |= privFromName(priv)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("listing managed privileges: %w", err)
	}

	if len(logins) > 0 {
		rows, err = conn.Query(ctx, `SELECT rolname FROM pg_roles WHERE rolname = ANY($1)`, logins)
		if err != nil {
			return nil, fmt.Errorf("looking up login roles: %w", err)
		}
		if _, err := pgx.ForEachRow(rows, []any{&role}, func() error { st.logins[role] = true; return nil }); err != nil {
			return nil, fmt.Errorf("looking up login roles: %w", err)
		}
	}
	if len(tables) > 0 {
		schemas := make([]string, len(tables))
		names := make([]string, len(tables))
		for i, t := range tables {
			schemas[i], names[i] = t.Schema, t.Name
		}
		rows, err = conn.Query(ctx, `SELECT n.nspname, c.relname
			FROM unnest($1::text[], $2::text[]) AS w(s, r)
			JOIN pg_namespace n ON n.nspname = w.s
			JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.r
			WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')`, schemas, names)
		if err != nil {
			return nil, fmt.Errorf("looking up tables: %w", err)
		}
		if _, err := pgx.ForEachRow(rows, []any{&t.Schema, &t.Name}, func() error { st.tables[t] = true; return nil }); err != nil {
			return nil, fmt.Errorf("looking up tables: %w", err)
		}
	}
	return st, nil
}

// assetFor is the asset id a table is reported under: the catalog's, or
// AssetIDPrefix + schema.table for tables the catalog does not know.
func (c *Connector) assetFor(t table) string {
	if id, ok := c.maps().byTable[t]; ok {
		return id
	}
	return c.cfg.AssetIDPrefix + t.String()
}

// userFor is the user a managed role reports under; roles not traceable to
// a user are reported by role name so their grants can still be revoked.
func userFor(st *state, role string) string {
	if id := st.managed[role]; id != "" {
		return id
	}
	return "role:" + role
}

// Grants lists the managed grants that exist now: write where a managed
// role holds all four privileges on a table, read where it holds SELECT.
func (c *Connector) Grants(ctx context.Context) ([]connectors.Grant, error) {
	conn, err := c.connect(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.Background())
	st, err := c.readState(ctx, conn, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("postgres connector %s: %w", c.cfg.Name, err)
	}
	var out []connectors.Grant
	for rt, p := range st.privs {
		a, ok := p.action()
		if !ok {
			continue
		}
		out = append(out, connectors.Grant{User: userFor(st, rt.role), Asset: c.assetFor(rt.table), Action: a})
	}
	sortGrants(out)
	return out, nil
}

func sortGrants(gs []connectors.Grant) {
	sort.Slice(gs, func(i, j int) bool {
		a, b := gs[i], gs[j]
		if a.User != b.User {
			return a.User < b.User
		}
		if a.Asset != b.Asset {
			return a.Asset < b.Asset
		}
		return a.Action < b.Action
	})
}

// wanted is one desired grant resolved to PostgreSQL names.
type wanted struct {
	grant   connectors.Grant
	login   string
	role    string
	table   table
	privs   privs
	skipped string
}

func (c *Connector) resolve(g connectors.Grant) wanted {
	w := wanted{grant: g}
	m := c.maps()
	u, ok := m.users[g.User]
	if !ok {
		w.skipped = fmt.Sprintf("user %s is not in the catalog", g.User)
		return w
	}
	login, err := c.cfg.UserMapping.LoginRole(u)
	if err != nil {
		w.skipped = err.Error()
		return w
	}
	a, ok := m.assets[g.Asset]
	if !ok {
		w.skipped = fmt.Sprintf("asset %s is not a %s asset in the catalog", g.Asset, c.cfg.Platform)
		return w
	}
	t, err := parseTableName(a.Name)
	if err != nil {
		w.skipped = fmt.Sprintf("asset %s: %v", g.Asset, err)
		return w
	}
	p, ok := actionPrivs(g.Action)
	if !ok {
		w.skipped = fmt.Sprintf("unknown action %q", g.Action)
		return w
	}
	w.login, w.role, w.table, w.privs = login, managedRoleName(c.cfg.RolePrefix, u.ID), t, p
	return w
}

// Plan compares desired with what the server holds and lists the exact
// statements that would close the gap. Desired grants it cannot carry out
// are listed in Plan.Skipped; managed privileges not desired are revoked.
func (c *Connector) Plan(ctx context.Context, desired []connectors.Grant) (connectors.Plan, error) {
	plan := connectors.Plan{Connector: c.cfg.Name}
	ws := make([]wanted, 0, len(desired))
	loginSet, tableSet := map[string]bool{}, map[table]bool{}
	for _, g := range desired {
		w := c.resolve(g)
		ws = append(ws, w)
		if w.skipped == "" {
			loginSet[w.login] = true
			tableSet[w.table] = true
		}
	}
	conn, err := c.connect(ctx)
	if err != nil {
		return plan, err
	}
	defer conn.Close(context.Background())
	st, err := c.readState(ctx, conn, keys(loginSet), keys(tableSet))
	if err != nil {
		return plan, fmt.Errorf("postgres connector %s: planning: %w", c.cfg.Name, err)
	}
	return c.diff(ws, st), nil
}

func keys[K comparable](m map[K]bool) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func (c *Connector) diff(ws []wanted, st *state) connectors.Plan {
	plan := connectors.Plan{Connector: c.cfg.Name}
	want := map[roleTable]privs{}
	wantGrant := map[roleTable]connectors.Grant{}
	roleUser := map[string]string{}  // managed role -> user id
	roleLogin := map[string]string{} // managed role -> login role
	for _, w := range ws {
		if w.skipped == "" && !st.logins[w.login] {
			w.skipped = fmt.Sprintf("PostgreSQL login role %q (for user %s) does not exist", w.login, w.grant.User)
		}
		if w.skipped == "" && !st.tables[w.table] {
			w.skipped = fmt.Sprintf("table %s (asset %s) does not exist", w.table, w.grant.Asset)
		}
		if w.skipped != "" {
			plan.Skipped = append(plan.Skipped, connectors.Skipped{Grant: w.grant, Reason: w.skipped})
			continue
		}
		rt := roleTable{w.role, w.table}
		want[rt] |= w.privs
		if _, ok := wantGrant[rt]; !ok || w.privs == writePrivs {
			wantGrant[rt] = w.grant
		}
		roleUser[w.role] = w.grant.User
		roleLogin[w.role] = w.login
	}

	var creates, members, grants, revokes []connectors.Change
	for role, user := range roleUser {
		if _, ok := st.managed[role]; !ok {
			creates = append(creates, connectors.Change{
				Op:        connectors.OpCreateRole,
				Grant:     connectors.Grant{User: user},
				Role:      role,
				Statement: "CREATE ROLE " + ident(role) + " NOLOGIN; COMMENT ON ROLE " + ident(role) + " IS " + literal(roleComment(user)),
			})
		}
		login := roleLogin[role]
		if !slices.Contains(st.members[role], login) {
			members = append(members, connectors.Change{
				Op:        connectors.OpGrantRole,
				Grant:     connectors.Grant{User: user},
				Role:      role,
				Statement: "GRANT " + ident(role) + " TO " + ident(login),
			})
		}
	}
	// A managed role is Steward's: only the user's own login role may hold
	// it. Another member (a login the user mapping no longer points at, or a
	// hand-made membership) would get the user's access, so it is removed.
	users := c.maps().users
	for role, mems := range st.members {
		u, ok := users[st.managed[role]]
		if !ok {
			continue
		}
		login, err := c.cfg.UserMapping.LoginRole(u)
		if err != nil {
			continue
		}
		for _, m := range mems {
			if m != login {
				revokes = append(revokes, connectors.Change{
					Op:        connectors.OpRevokeRole,
					Grant:     connectors.Grant{User: u.ID},
					Role:      role,
					Statement: "REVOKE " + ident(role) + " FROM " + ident(m),
				})
			}
		}
	}
	for rt, p := range want {
		if missing := p &^ st.privs[rt]; missing != 0 {
			g := wantGrant[rt]
			g.Action = missing.changeAction()
			grants = append(grants, connectors.Change{
				Op:         connectors.OpGrant,
				Grant:      g,
				Role:       rt.role,
				Privileges: missing.names(),
				Object:     rt.table.sql(),
				Statement:  "GRANT " + strings.Join(missing.names(), ", ") + " ON TABLE " + rt.table.sql() + " TO " + ident(rt.role),
			})
		}
	}
	for rt, have := range st.privs {
		if extra := have &^ want[rt]; extra != 0 {
			revokes = append(revokes, connectors.Change{
				Op:         connectors.OpRevoke,
				Grant:      connectors.Grant{User: userFor(st, rt.role), Asset: c.assetFor(rt.table), Action: extra.changeAction()},
				Role:       rt.role,
				Privileges: extra.names(),
				Object:     rt.table.sql(),
				Statement:  "REVOKE " + strings.Join(extra.names(), ", ") + " ON TABLE " + rt.table.sql() + " FROM " + ident(rt.role),
			})
		}
	}
	for _, cs := range [][]connectors.Change{creates, members, revokes, grants} {
		sort.Slice(cs, func(i, j int) bool {
			if cs[i].Role != cs[j].Role {
				return cs[i].Role < cs[j].Role
			}
			return cs[i].Statement < cs[j].Statement
		})
		plan.Changes = append(plan.Changes, cs...)
	}
	sort.Slice(plan.Skipped, func(i, j int) bool {
		a, b := plan.Skipped[i].Grant, plan.Skipped[j].Grant
		if a.User != b.User {
			return a.User < b.User
		}
		return a.Asset < b.Asset
	})
	return plan
}

// Apply carries out a plan. Roles are created first, each in its own
// transaction and tolerating "already exists", so a plan applied twice (or by
// a replica that lost a race) is harmless; the other changes are idempotent
// GRANT and REVOKE statements sent BatchSize at a time, each batch one
// transaction. A batch that fails is retried change by change so the error
// names exactly the changes that failed; a lost connection fails the rest.
func (c *Connector) Apply(ctx context.Context, plan connectors.Plan) error {
	if len(plan.Changes) == 0 {
		return nil
	}
	applyErr := &connectors.ApplyError{Connector: c.cfg.Name, Total: len(plan.Changes)}
	conn, err := c.connect(ctx)
	if err != nil {
		for _, ch := range plan.Changes {
			applyErr.Failed = append(applyErr.Failed, connectors.FailedChange{Change: ch, Err: err})
		}
		return applyErr
	}
	defer conn.Close(context.Background())

	var rest []connectors.Change
	broken := error(nil)
	for i, ch := range plan.Changes {
		if ch.Op != connectors.OpCreateRole {
			rest = append(rest, ch)
			continue
		}
		if broken != nil {
			applyErr.Failed = append(applyErr.Failed, connectors.FailedChange{Change: ch, Err: broken})
			continue
		}
		if _, err := conn.Exec(ctx, ch.Statement); err != nil && !alreadyExists(err) {
			applyErr.Failed = append(applyErr.Failed, connectors.FailedChange{Change: ch, Err: err})
			if connLost(conn, err) {
				broken = fmt.Errorf("connection lost at change %d: %w", i+1, err)
			}
		}
	}
	for start := 0; start < len(rest); start += c.cfg.BatchSize {
		batch := rest[start:min(start+c.cfg.BatchSize, len(rest))]
		if broken != nil {
			for _, ch := range batch {
				applyErr.Failed = append(applyErr.Failed, connectors.FailedChange{Change: ch, Err: broken})
			}
			continue
		}
		// Several statements in one simple-protocol query run as one
		// implicit transaction: all of the batch or none of it.
		_, err := conn.Exec(ctx, strings.Join(merge(batch), ";\n"))
		if err == nil {
			continue
		}
		if connLost(conn, err) {
			broken = err
			for _, ch := range batch {
				applyErr.Failed = append(applyErr.Failed, connectors.FailedChange{Change: ch, Err: err})
			}
			continue
		}
		for _, ch := range batch {
			if broken != nil {
				applyErr.Failed = append(applyErr.Failed, connectors.FailedChange{Change: ch, Err: broken})
				continue
			}
			if _, err := conn.Exec(ctx, ch.Statement); err != nil {
				applyErr.Failed = append(applyErr.Failed, connectors.FailedChange{Change: ch, Err: err})
				if connLost(conn, err) {
					broken = err
				}
			}
		}
	}
	if len(applyErr.Failed) > 0 {
		return applyErr
	}
	return nil
}

// merge folds consecutive GRANTs (or REVOKEs) of the same privileges to the
// same role into one statement naming every table, which PostgreSQL treats
// exactly like the separate statements but runs several times faster.
func merge(batch []connectors.Change) []string {
	var out []string
	for i := 0; i < len(batch); {
		ch := batch[i]
		j := i + 1
		if (ch.Op == connectors.OpGrant || ch.Op == connectors.OpRevoke) && ch.Object != "" {
			objs := []string{ch.Object}
			for ; j < len(batch) && batch[j].Op == ch.Op && batch[j].Role == ch.Role && batch[j].Object != "" &&
				slices.Equal(batch[j].Privileges, ch.Privileges); j++ {
				objs = append(objs, batch[j].Object)
			}
			privs := strings.Join(ch.Privileges, ", ")
			if ch.Op == connectors.OpGrant {
				out = append(out, "GRANT "+privs+" ON TABLE "+strings.Join(objs, ", ")+" TO "+ident(ch.Role))
			} else {
				out = append(out, "REVOKE "+privs+" ON TABLE "+strings.Join(objs, ", ")+" FROM "+ident(ch.Role))
			}
		} else {
			out = append(out, ch.Statement)
		}
		i = j
	}
	return out
}

// alreadyExists: a role created by an earlier apply or a racing replica.
func alreadyExists(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "42710" || pe.Code == "23505")
}

func connLost(conn *pgx.Conn, err error) bool {
	if conn.IsClosed() || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// admin_shutdown, crash_shutdown, cannot_connect_now
		return pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	return pgconn.SafeToRetry(err) || conn.PgConn().IsClosed()
}
