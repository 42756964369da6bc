package postgres

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// URL options Steward reads from (and removes from) a connector URL; the
// rest of the URL is handed to pgx unchanged.
const (
	OptUserMapping = "steward_user_mapping" // email | id | attribute:NAME
	OptRolePrefix  = "steward_role_prefix"  // default steward_u_
	OptPlatform    = "steward_platform"     // default: the connector name
	OptAssetPrefix = "steward_asset_prefix" // default pg.
	OptBatchSize   = "steward_batch_size"   // default 1000
)

// ConfigFromURL reads a connector setting: a postgres:// (or postgresql://)
// URL whose query may carry the steward_* options above, e.g.
//
//	postgres://steward@db:5432/analytics?sslmode=require&steward_user_mapping=attribute:pg_role
//
// Errors never repeat the URL, which may hold a password.
func ConfigFromURL(name, raw string) (Config, error) {
	cfg := Config{Name: name}
	u, err := url.Parse(raw)
	if err != nil {
		return cfg, fmt.Errorf("connector %s: not a valid URL", name)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return cfg, fmt.Errorf("connector %s: URL scheme %q is not postgres:// or postgresql://", name, u.Scheme)
	}
	if strings.TrimPrefix(u.Path, "/") == "" {
		return cfg, fmt.Errorf("connector %s: the URL names no database (postgres://USER@HOST:PORT/DATABASE)", name)
	}
	q := u.Query()
	for k := range q {
		switch k {
		case OptUserMapping, OptRolePrefix, OptPlatform, OptAssetPrefix, OptBatchSize:
		default:
			if strings.HasPrefix(k, "steward_") {
				return cfg, fmt.Errorf("connector %s: unknown option %s (known: %s, %s, %s, %s, %s)", name, k,
					OptUserMapping, OptRolePrefix, OptPlatform, OptAssetPrefix, OptBatchSize)
			}
		}
	}
	if cfg.UserMapping, err = ParseUserMapping(q.Get(OptUserMapping)); err != nil {
		return cfg, fmt.Errorf("connector %s: %s: %w", name, OptUserMapping, err)
	}
	cfg.RolePrefix = q.Get(OptRolePrefix)
	if cfg.RolePrefix != "" && !validPrefix(cfg.RolePrefix) {
		return cfg, fmt.Errorf("connector %s: %s %q must be at most 40 characters of a-z, 0-9 and _", name, OptRolePrefix, cfg.RolePrefix)
	}
	cfg.Platform = q.Get(OptPlatform)
	cfg.AssetIDPrefix = q.Get(OptAssetPrefix)
	if s := q.Get(OptBatchSize); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 100000 {
			return cfg, fmt.Errorf("connector %s: %s %q: want a number from 1 to 100000", name, OptBatchSize, s)
		}
		cfg.BatchSize = n
	}
	for _, k := range []string{OptUserMapping, OptRolePrefix, OptPlatform, OptAssetPrefix, OptBatchSize} {
		q.Del(k)
	}
	u.RawQuery = q.Encode()
	cfg.URL = u.String()
	return cfg, nil
}
