package policy

// TEMPORARY: signatures other packages build against while the policy helper
// implements them. Each function moves to its real file and out of here.

import "errors"

var errTODO = errors.New("policy: not implemented yet")

// LoadCatalog reads, validates and indexes a catalog file (YAML or JSON).
// Validation problems come back together as a *CatalogError with line numbers.
func LoadCatalog(path string) (*Catalog, error) { return nil, errTODO }

// ParseCatalog is LoadCatalog on bytes; name is used in error messages.
func ParseCatalog(name string, data []byte) (*Catalog, error) { return nil, errTODO }

// User returns the user with this id.
func (c *Catalog) User(id string) (User, bool) { return User{}, false }

// UserBySlackID returns the user whose slack_id is id.
func (c *Catalog) UserBySlackID(id string) (User, bool) { return User{}, false }

// UserByEmail returns the user with this email (case-insensitive).
func (c *Catalog) UserByEmail(email string) (User, bool) { return User{}, false }

// Asset returns the asset with this id.
func (c *Catalog) Asset(id string) (Asset, bool) { return Asset{}, false }

// AssetTags returns every tag on the asset or any of its columns, sorted, deduplicated.
func (c *Catalog) AssetTags(id string) []string { return nil }

// ValidatePolicy checks p against the catalog: known keys, values, groups,
// tags and assets; effect and action; objects that do not cover every asset.
func (c *Catalog) ValidatePolicy(p Policy) error { return errTODO }

// MatchesUser reports whether u is selected by subjects (OR of ANDs).
func MatchesUser(u User, subjects [][]Term) bool { return false }

// MatchesAsset reports whether an asset with these tags (table and columns) and id
// is selected by objects.
func MatchesAsset(assetID string, tags []string, objects []Clause) bool { return false }

// Impact is who and what a policy covers, as sorted ids.
type Impact struct {
	Users  []string `json:"users"`
	Assets []string `json:"assets"`
}

// Index answers impact queries with bitmaps over users and assets.
type Index struct{}

// NewIndex builds the bitmap indexes for a catalog.
func NewIndex(c *Catalog) *Index { return &Index{} }

// Impact returns the users and assets p covers (ignores effect and action).
func (ix *Index) Impact(p Policy) Impact { return Impact{} }

// Evaluator decides access for a fixed catalog and policy set.
type Evaluator struct{}

// NewEvaluator validates the policies against the catalog and prepares decisions.
func NewEvaluator(c *Catalog, policies []Policy) (*Evaluator, error) { return nil, errTODO }

// Allowed: some allow policy covers (user, asset, action) and no deny policy does.
// A write policy also allows read; a deny on read also denies write.
func (e *Evaluator) Allowed(userID, assetID string, action Action) bool { return false }

// Explanation says why a decision came out as it did.
type Explanation struct {
	Allowed bool     `json:"allowed"`
	Allows  []Reason `json:"allows,omitempty"` // allow policies that cover the request
	Denies  []Reason `json:"denies,omitempty"` // deny policies that cover the request
	Masks   []Reason `json:"masks,omitempty"`  // mask policies that apply
	Summary string   `json:"summary"`
}

// Reason is one policy that took part in a decision and the terms that matched.
type Reason struct {
	PolicyID     string `json:"policy_id"`
	PolicyName   string `json:"policy_name,omitempty"`
	MatchedTerms []Term `json:"matched_terms,omitempty"`
	Clause       Clause `json:"clause"`
}

// Explain returns the deciding policies and matching terms.
func (e *Evaluator) Explain(userID, assetID string, action Action) Explanation {
	return Explanation{}
}

// DecodePolicy reads one policy from JSON, rejecting unknown fields.
func DecodePolicy(data []byte) (Policy, error) { return Policy{}, errTODO }

// DecodePolicies reads a JSON array (or YAML list) of policies.
func DecodePolicies(data []byte) ([]Policy, error) { return nil, errTODO }

// CedarPolicy renders one policy as Cedar text.
func CedarPolicy(p Policy) (string, error) { return "", errTODO }

// ExportCedar renders the policies as Cedar text and the catalog as Cedar entities JSON.
func ExportCedar(c *Catalog, policies []Policy) (text string, entitiesJSON []byte, err error) {
	return "", nil, errTODO
}
