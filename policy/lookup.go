package policy

import (
	"sort"
	"strings"
)

// User returns the user with this id.
func (c *Catalog) User(id string) (User, bool) {
	if c.idx != nil {
		ix := c.idx.ix
		if p, ok := ix.userPos[id]; ok {
			return c.Users[ix.userCat[p]], true
		}
		return User{}, false
	}
	for _, u := range c.Users {
		if u.ID == id {
			return u, true
		}
	}
	return User{}, false
}

// UserBySlackID returns the user whose slack_id is id.
func (c *Catalog) UserBySlackID(id string) (User, bool) {
	if id == "" {
		return User{}, false
	}
	if c.idx != nil {
		if i, ok := c.idx.bySlack[id]; ok {
			return c.Users[i], true
		}
		return User{}, false
	}
	for _, u := range c.Users {
		if u.SlackID == id {
			return u, true
		}
	}
	return User{}, false
}

// UserByEmail returns the user with this email (case-insensitive).
func (c *Catalog) UserByEmail(email string) (User, bool) {
	if email == "" {
		return User{}, false
	}
	if c.idx != nil {
		if i, ok := c.idx.byEmail[strings.ToLower(email)]; ok {
			return c.Users[i], true
		}
		return User{}, false
	}
	for _, u := range c.Users {
		if strings.EqualFold(u.Email, email) {
			return u, true
		}
	}
	return User{}, false
}

// Asset returns the asset with this id.
func (c *Catalog) Asset(id string) (Asset, bool) {
	if c.idx != nil {
		ix := c.idx.ix
		if p, ok := ix.assetPos[id]; ok {
			return c.Assets[ix.assetCat[p]], true
		}
		return Asset{}, false
	}
	for _, a := range c.Assets {
		if a.ID == id {
			return a, true
		}
	}
	return Asset{}, false
}

// AssetTags returns every tag on the asset or any of its columns, sorted, deduplicated.
func (c *Catalog) AssetTags(id string) []string {
	a, ok := c.Asset(id)
	if !ok {
		return nil
	}
	return allTags(a)
}

func allTags(a Asset) []string {
	out := append([]string{}, a.Tags...)
	for _, tags := range a.Columns {
		out = append(out, tags...)
	}
	sort.Strings(out)
	w := 0
	for i, t := range out {
		if i == 0 || t != out[w-1] {
			out[w] = t
			w++
		}
	}
	return out[:w]
}
