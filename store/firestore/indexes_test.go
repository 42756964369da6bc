package firestore

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	fs "cloud.google.com/go/firestore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIndexesFileMatchesStoredFields: the deployed index file must name
// collections and fields the store really writes, or the production queries
// fail (the emulator never asks for indexes, so nothing else would notice).
func TestIndexesFileMatchesStoredFields(t *testing.T) {
	data, err := os.ReadFile("../../infra/firestore/firestore.indexes.json")
	require.NoError(t, err)
	var file struct {
		Indexes []struct {
			CollectionGroup string `json:"collectionGroup"`
			QueryScope      string `json:"queryScope"`
			Fields          []struct {
				FieldPath   string `json:"fieldPath"`
				Order       string `json:"order"`
				ArrayConfig string `json:"arrayConfig"`
			} `json:"fields"`
		} `json:"indexes"`
		FieldOverrides []struct {
			CollectionGroup string `json:"collectionGroup"`
			FieldPath       string `json:"fieldPath"`
			Indexes         []any  `json:"indexes"`
		} `json:"fieldOverrides"`
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&file), "firestore.indexes.json is in the standard format")

	stored := map[string]any{
		colRequests: requestDoc{}, colGrants: grantDoc{}, colAudit: auditDoc{}, colPolicies: policyHeadDoc{},
		colVersions: policyDoc{}, colRecerts: recertDoc{}, colRecommendations: recommendationDoc{},
		colWorkspaces: workspaceDoc{},
	}
	for _, ix := range file.Indexes {
		doc, ok := stored[ix.CollectionGroup]
		require.True(t, ok, "index on unknown collection %q", ix.CollectionGroup)
		assert.Equal(t, "COLLECTION", ix.QueryScope)
		require.GreaterOrEqual(t, len(ix.Fields), 2, "a composite index has at least two fields")
		for _, f := range ix.Fields {
			assert.Contains(t, fieldNames(doc), f.FieldPath, "index on %s", ix.CollectionGroup)
			assert.True(t, (f.Order == "ASCENDING" || f.Order == "DESCENDING") != (f.ArrayConfig == "CONTAINS"),
				"field %s of an index on %s needs an order or arrayConfig", f.FieldPath, ix.CollectionGroup)
		}
	}
	for _, o := range file.FieldOverrides {
		doc, ok := stored[o.CollectionGroup]
		require.True(t, ok, "override on unknown collection %q", o.CollectionGroup)
		assert.Contains(t, fieldNames(doc), o.FieldPath, "override on %s", o.CollectionGroup)
	}
}

func fieldNames(doc any) []string {
	var names []string
	for _, u := range updatesFor(doc) {
		names = append(names, u.Path)
	}
	return names
}

func TestUpdatesForReplacesEveryField(t *testing.T) {
	d := policyHeadDoc{policyDoc: policyDoc{ID: "p1", Name: "n"}, LatestVersion: 2}
	got := map[string]any{}
	for _, u := range updatesFor(d) {
		got[u.Path] = u.Value
	}
	assert.Equal(t, "p1", got["id"], "embedded fields are flattened")
	assert.Equal(t, int64(2), got["latest_version"])
	assert.Equal(t, fs.Delete, got["retired_at"], "an empty omitempty field is deleted, not left behind")
	assert.Equal(t, false, got["retired"], "a plain false is written")
}
