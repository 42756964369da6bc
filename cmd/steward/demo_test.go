package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEmbeddedDemoCatalog(t *testing.T) {
	cat, err := loadCatalogSetting("")
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(cat.Users), 10)
	assert.Contains(t, cat.Tags, "Classification.Restricted")
	maya, ok := cat.User("maya")
	require.True(t, ok, "the console's default user")
	assert.Contains(t, maya.Groups, "data-governance")
	for _, a := range cat.Assets {
		assert.NotEmpty(t, a.Owner, "every demo asset has an owner: %s", a.ID)
	}
	_, err = loadCatalogSetting("/nonexistent/catalog.yaml")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "STEWARD_CATALOG")
	assert.NotContains(t, err.Error(), "\n")
}
