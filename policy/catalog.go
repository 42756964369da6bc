package policy

// Catalog is the metadata Steward reasons over. Load it with LoadCatalog or
// ParseCatalog, which validate it and build its lookup indexes.
type Catalog struct {
	Attributes map[string]Attribute `json:"attributes,omitempty" yaml:"attributes,omitempty"`
	Groups     map[string]Group     `json:"groups,omitempty" yaml:"groups,omitempty"`
	Users      []User               `json:"users,omitempty" yaml:"users,omitempty"`
	Tags       map[string]Tag       `json:"tags,omitempty" yaml:"tags,omitempty"`
	Assets     []Asset              `json:"assets,omitempty" yaml:"assets,omitempty"`

	// idx holds the lookup maps and bitmap indexes built once at load. A
	// Catalog built as a struct literal has none; lookups then scan, and
	// NewCatalog builds them. Treat a loaded Catalog as read-only.
	idx *catalogIndex
}

// Attribute is one key of user metadata and its known values.
type Attribute struct {
	Description string           `json:"description,omitempty" yaml:"description,omitempty"`
	Values      map[string]Value `json:"values,omitempty" yaml:"values,omitempty"`
}

// Value is one known value of an attribute.
type Value struct {
	Description string   `json:"description,omitempty" yaml:"description,omitempty"`
	Aliases     []string `json:"aliases,omitempty" yaml:"aliases,omitempty"`
}

// Group is a named set of users.
type Group struct {
	Description string   `json:"description,omitempty" yaml:"description,omitempty"`
	Aliases     []string `json:"aliases,omitempty" yaml:"aliases,omitempty"`
}

// Tag labels data. Names may be dotted to form a hierarchy
// (Discovered.Entity.Bank Account Number).
type Tag struct {
	Description string   `json:"description,omitempty" yaml:"description,omitempty"`
	Aliases     []string `json:"aliases,omitempty" yaml:"aliases,omitempty"`
}

// User is a person with metadata. Attribute values are always stored as a
// list; the catalog file may give a single string.
type User struct {
	ID         string              `json:"id" yaml:"id"`
	Name       string              `json:"name,omitempty" yaml:"name,omitempty"`
	Email      string              `json:"email,omitempty" yaml:"email,omitempty"`
	SlackID    string              `json:"slack_id,omitempty" yaml:"slack_id,omitempty"`
	Groups     []string            `json:"groups,omitempty" yaml:"groups,omitempty"`
	Attributes map[string][]string `json:"attributes,omitempty" yaml:"attributes,omitempty"`
}

// Asset is a table (or other dataset) with tags on the whole and per column.
type Asset struct {
	ID       string              `json:"id" yaml:"id"`
	Platform string              `json:"platform,omitempty" yaml:"platform,omitempty"`
	Name     string              `json:"name" yaml:"name"`
	Owner    string              `json:"owner,omitempty" yaml:"owner,omitempty"`
	Tags     []string            `json:"tags,omitempty" yaml:"tags,omitempty"`
	Columns  map[string][]string `json:"columns,omitempty" yaml:"columns,omitempty"`
}
