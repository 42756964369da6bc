package main

import (
	"embed"
	"fmt"
	"strings"

	"github.com/steward-dev/steward/policy"
)

// demoFS holds the Northwind Mutual demo catalog, used when STEWARD_CATALOG
// is unset so that `steward console` and `make run` work out of the box.
//
//go:embed demo/catalog.yaml
var demoFS embed.FS

const demoCatalogPath = "demo/catalog.yaml"

// loadCatalogSetting loads STEWARD_CATALOG, or the embedded demo catalog
// when path is empty. The error is one line naming the setting.
func loadCatalogSetting(path string) (*policy.Catalog, error) {
	var (
		cat *policy.Catalog
		err error
	)
	if path == "" {
		data, rerr := demoFS.ReadFile(demoCatalogPath)
		if rerr != nil {
			return nil, fmt.Errorf("reading the embedded demo catalog: %w", rerr)
		}
		cat, err = policy.ParseCatalog("embedded "+demoCatalogPath, data)
	} else {
		cat, err = policy.LoadCatalog(path)
	}
	if err != nil {
		first, rest, _ := strings.Cut(strings.TrimSpace(err.Error()), "\n")
		if n := strings.Count(rest, "\n") + 1; rest != "" {
			first += fmt.Sprintf(" (and %d more lines; run steward catalog check --catalog %s)", n, path)
		}
		return nil, fmt.Errorf("STEWARD_CATALOG: %s", first)
	}
	return cat, nil
}
