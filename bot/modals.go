package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

// viewMeta rides in a modal's private_metadata (only the app sees it).
type viewMeta struct {
	Request     string `json:"r,omitempty"`
	Draft       string `json:"d,omitempty"`
	ResponseURL string `json:"u,omitempty"`
	Channel     string `json:"c,omitempty"`
}

func encodeMeta(m viewMeta) string {
	b, _ := json.Marshal(m)
	return string(b)
}

func decodeMeta(s string) viewMeta {
	var m viewMeta
	_ = json.Unmarshal([]byte(s), &m)
	return m
}

func modal(callbackID, title, submit, meta string, blocks ...slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type: slack.VTModal, CallbackID: callbackID, PrivateMetadata: meta,
		Title: plain(title, 24), Submit: plain(submit, 24), Close: plain("Cancel", 24),
		Blocks: slack.Blocks{BlockSet: enforceLimits(blocks, maxViewBlocks)},
	}
}

func textInput(blockID, label, placeholder string, multiline bool, maxLen int) *slack.InputBlock {
	el := slack.NewPlainTextInputBlockElement(plain(placeholder, 150), blockID)
	el.Multiline, el.MaxLength = multiline, maxLen
	return slack.NewInputBlock(blockID, plain(label, 2000), nil, el)
}

// durationChoices are the lengths the forms offer.
func durationChoices() []time.Duration {
	return []time.Duration{4 * time.Hour, 24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour,
		14 * 24 * time.Hour, 30 * 24 * time.Hour, 90 * 24 * time.Hour}
}

// standingChoice is the duration select's value for access with no end date.
const standingChoice = "standing"

func durationSelect(blockID, label string, initial time.Duration, standing bool) *slack.InputBlock {
	choices := durationChoices()
	if initial > 0 && !slices.Contains(choices, initial) {
		choices = append(choices, initial)
		slices.Sort(choices)
	}
	var opts []*slack.OptionBlockObject
	var init *slack.OptionBlockObject
	for _, d := range choices {
		o := option(humanDuration(d), d.String())
		opts = append(opts, o)
		if d == initial {
			init = o
		}
	}
	if standing {
		opts = append(opts, option("No end date (reviewed at recertification)", standingChoice))
	}
	el := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("How long", 150), blockID, opts...)
	el.InitialOption = init
	return slack.NewInputBlock(blockID, plain(label, 2000), nil, el)
}

func actionSelect(blockID string, initial policy.Action) *slack.InputBlock {
	read, write := option("Read", string(policy.Read)), option("Write (includes read)", string(policy.Write))
	el := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Action", 150), blockID, read, write)
	el.InitialOption = read
	if initial == policy.Write {
		el.InitialOption = write
	}
	return slack.NewInputBlock(blockID, plain("Access", 2000), nil, el)
}

// openAccessModal shows the access form: table typeahead, or a description,
// plus action, duration and reason.
func (b *Bot) openAccessModal(ctx context.Context, rsp responder, o Origin) {
	if _, err := b.identify(ctx, rsp, o.User); err != nil {
		b.fail(ctx, rsp, o, "looking you up", err)
		return
	}
	zero := 0
	assets := slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeExternal, plain("Search tables", 150), "assets")
	assets.MinQueryLength = &zero
	assetBlock := slack.NewInputBlock("assets", plain("Tables", 2000), plain("Type part of a table name or a tag", 2000), assets)
	assetBlock.Optional = true
	what := textInput("what", "Or describe the data", "e.g. the claims tables", false, 300)
	what.Optional = true
	view := modal(cbAccess, "Request access", "Request", encodeMeta(viewMeta{Channel: o.Channel}),
		assetBlock, what, actionSelect("action", policy.Read),
		durationSelect("duration", "For how long", b.defaultDuration(), b.svc.Config().AllowStanding),
		textInput("reason", "Why do you need it?", "e.g. reconciling Q3 claims", true, 1000))
	if err := rsp.OpenModal(ctx, o.TriggerID, view); err != nil {
		b.fail(ctx, rsp, o, "opening the access form", err)
	}
}

func (b *Bot) defaultDuration() time.Duration {
	if d := b.svc.Config().DefaultDuration; d > 0 {
		return d
	}
	return 7 * 24 * time.Hour
}

// suggest answers an external select's typeahead. It is cheap (catalog
// only), so transports call it before acking and put the options in the ack.
func (b *Bot) suggest(s Suggestion) []Option {
	var all []Option
	switch s.ActionID {
	case "assets", "edit_assets":
		all = b.assetOptions()
	case "subjects":
		all = b.termOptions(false)
	case "conditions":
		all = b.termOptions(true)
	case "tags":
		all = b.tagOptions()
	default:
		return nil
	}
	q := strings.ToLower(strings.TrimSpace(s.Typed))
	var out []Option
	for _, o := range all {
		if q == "" || strings.Contains(strings.ToLower(o.Label), q) || strings.Contains(strings.ToLower(o.Value), q) {
			out = append(out, o)
			if len(out) == maxOptions {
				break
			}
		}
	}
	return out
}

func (b *Bot) assetOptions() []Option {
	cat := b.catalog()
	out := make([]Option, 0, len(cat.Assets))
	for _, a := range cat.Assets {
		label := a.Name
		if label == "" || label == a.ID {
			label = a.ID
		} else if !strings.Contains(a.ID, a.Name) {
			label = a.Name + " (" + a.ID + ")"
		}
		if len("x:"+a.ID) <= maxOptionValue {
			out = append(out, Option{Label: clamp(label, maxOptionText), Value: "x:" + a.ID})
		}
	}
	return out
}

func (b *Bot) termOptions(withNegated bool) []Option {
	cat := b.catalog()
	var out []Option
	keys := make([]string, 0, len(cat.Attributes))
	for k := range cat.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	add := func(label, value string) {
		if len(value) <= maxOptionValue {
			out = append(out, Option{Label: clamp(label, maxOptionText), Value: value})
		}
	}
	for _, k := range keys {
		vals := make([]string, 0, len(cat.Attributes[k].Values))
		for v := range cat.Attributes[k].Values {
			vals = append(vals, v)
		}
		sort.Strings(vals)
		for _, v := range vals {
			add(k+": "+v, "a:"+k+"="+v)
			if withNegated {
				add("not "+k+": "+v, "!a:"+k+"="+v)
			}
		}
	}
	groups := make([]string, 0, len(cat.Groups))
	for g := range cat.Groups {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		add("group: "+g, "g:"+g)
		if withNegated {
			add("not in group: "+g, "!g:"+g)
		}
	}
	return out
}

func (b *Bot) tagOptions() []Option {
	cat := b.catalog()
	tags := make([]string, 0, len(cat.Tags))
	for t := range cat.Tags {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	out := make([]Option, 0, len(tags))
	for _, t := range tags {
		if len("t:"+t) <= maxOptionValue {
			out = append(out, Option{Label: clamp(t, maxOptionText), Value: "t:" + t})
		}
	}
	return out
}

// parseTerm reads an option value: "a:key=value", "g:group", "!" negates.
func parseTerm(v string) (policy.Term, error) {
	neg := strings.HasPrefix(v, "!")
	v = strings.TrimPrefix(v, "!")
	switch {
	case strings.HasPrefix(v, "a:"):
		k, val, ok := strings.Cut(v[2:], "=")
		if !ok || k == "" || val == "" {
			return policy.Term{}, fmt.Errorf("bad attribute option %q", v)
		}
		return policy.Term{Attribute: k, Values: []string{val}, Negate: neg}, nil
	case strings.HasPrefix(v, "g:") && len(v) > 2:
		return policy.Term{Group: v[2:], Negate: neg}, nil
	}
	return policy.Term{}, fmt.Errorf("bad option %q", v)
}

func termValue(t policy.Term) (string, string, bool) {
	neg, notLabel := "", ""
	if t.Negate {
		neg, notLabel = "!", "not "
	}
	switch {
	case t.Group != "":
		return neg + "g:" + t.Group, notLabel + "group: " + t.Group, true
	case t.Attribute != "" && len(t.Values) == 1:
		return neg + "a:" + t.Attribute + "=" + t.Values[0], notLabel + t.Attribute + ": " + t.Values[0], true
	}
	return "", "", false
}

func sameTerm(a, b policy.Term) bool {
	return a.Attribute == b.Attribute && a.Group == b.Group && a.Negate == b.Negate && slices.Equal(a.Values, b.Values)
}

// splitConditions separates terms shared by every subject clause (the
// sentence's conditions, folded in by the copilot) from the rest.
func splitConditions(subjects [][]policy.Term) (clauses [][]policy.Term, conds []policy.Term) {
	if len(subjects) == 0 {
		return nil, nil
	}
	if len(subjects) == 1 {
		// One clause: the copilot puts the subject first and folds the
		// sentence's conditions in after it.
		if len(subjects[0]) <= 1 {
			return [][]policy.Term{slices.Clone(subjects[0])}, nil
		}
		return [][]policy.Term{{subjects[0][0]}}, slices.Clone(subjects[0][1:])
	}
	for _, t := range subjects[0] {
		shared := true
		for _, c := range subjects[1:] {
			if !slices.ContainsFunc(c, func(x policy.Term) bool { return sameTerm(x, t) }) {
				shared = false
				break
			}
		}
		if shared {
			conds = append(conds, t)
		}
	}
	for _, c := range subjects {
		rest := slices.DeleteFunc(slices.Clone(c), func(x policy.Term) bool {
			return slices.ContainsFunc(conds, func(y policy.Term) bool { return sameTerm(x, y) })
		})
		clauses = append(clauses, rest)
	}
	return clauses, conds
}

// multiSelect is a static multi-select when the options fit (max 100),
// otherwise an external one served by Suggest.
func multiSelect(blockID, label, hint string, all []Option, initial []Option) *slack.InputBlock {
	var init []*slack.OptionBlockObject
	for _, o := range initial {
		init = append(init, option(o.Label, o.Value))
	}
	options := slices.Clone(initial)
	for _, o := range all {
		if !slices.ContainsFunc(options, func(x Option) bool { return x.Value == o.Value }) {
			options = append(options, o)
		}
	}
	var el *slack.MultiSelectBlockElement
	if len(options) <= maxOptions && len(options) > 0 {
		var opts []*slack.OptionBlockObject
		for _, o := range options {
			opts = append(opts, option(o.Label, o.Value))
		}
		el = slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeStatic, plain("Choose", 150), blockID, opts...)
	} else {
		zero := 0
		el = slack.NewOptionsMultiSelectBlockElement(slack.MultiOptTypeExternal, plain("Search", 150), blockID)
		el.MinQueryLength = &zero
	}
	el.InitialOptions = init
	ib := slack.NewInputBlock(blockID, plain(label, 2000), plain(hint, 2000), el)
	ib.Optional = true
	return ib
}

func (b *Bot) onPolicyEdit(ctx context.Context, rsp responder, a Action) {
	if _, ok := b.requireGovernance(ctx, rsp, a.Origin); !ok {
		return
	}
	d, err := b.loadDraft(ctx, a.Value)
	if err != nil {
		b.refuse(ctx, rsp, a.Origin, "I can't find that draft any more. Run `/policy` again to start over.")
		return
	}
	view := b.policyEditModal(d, a.ResponseURL)
	if err := rsp.OpenModal(ctx, a.TriggerID, view); err != nil {
		b.fail(ctx, rsp, a.Origin, "opening the editor", err)
	}
}

// policyEditModal shows a draft's parts as editable selects drawn from the catalog.
func (b *Bot) policyEditModal(d draftEntry, responseURL string) slack.ModalViewRequest {
	p := d.Policy
	clauses, conds := splitConditions(p.Subjects)
	var subjInit, condInit, tagInit, assetInit []Option
	for i, c := range clauses {
		if len(c) == 0 {
			continue
		}
		if len(c) == 1 {
			if v, l, ok := termValue(c[0]); ok {
				subjInit = append(subjInit, Option{Label: clamp(l, maxOptionText), Value: v})
				continue
			}
		}
		subjInit = append(subjInit, Option{Label: clamp(plainClause(c), maxOptionText), Value: fmt.Sprintf("d:%d", i)})
	}
	for _, t := range conds {
		if v, l, ok := termValue(t); ok {
			condInit = append(condInit, Option{Label: clamp(l, maxOptionText), Value: v})
		}
	}
	for i, c := range p.Objects {
		switch {
		case c.Asset != "":
			assetInit = append(assetInit, Option{Label: clamp(c.Asset, maxOptionText), Value: "x:" + c.Asset})
		case len(c.AllTags) == 1 && len(c.NoneTags) == 0:
			tagInit = append(tagInit, Option{Label: clamp(c.AllTags[0], maxOptionText), Value: "t:" + c.AllTags[0]})
		default:
			label := strings.Join(c.AllTags, " + ")
			if len(c.NoneTags) > 0 {
				label += " but not " + strings.Join(c.NoneTags, ", ")
			}
			tagInit = append(tagInit, Option{Label: clamp(label, maxOptionText), Value: fmt.Sprintf("o:%d", i)})
		}
	}
	effects := []*slack.OptionBlockObject{option("Allow", "allow"), option("Deny (wins over allow)", "deny"), option("Mask the tagged columns", "mask")}
	eff := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Effect", 150), "effect", effects...)
	for _, o := range effects {
		if o.Value == string(p.Effect) {
			eff.InitialOption = o
		}
	}
	dur := textInput("duration", "Duration", "blank for standing access, or e.g. 30d, 2w, 12h", false, 40)
	dur.Optional = true
	if p.Duration > 0 {
		dur.Element.(*slack.PlainTextInputBlockElement).InitialValue = shortDuration(timeDuration(p.Duration))
	}
	return modal(cbPolicyEdit, "Edit policy", "Save", encodeMeta(viewMeta{Draft: d.ID, ResponseURL: responseURL}),
		section("> "+esc(clamp(d.Sentence, 2900))),
		slack.NewInputBlock("effect", plain("Effect", 2000), nil, eff),
		actionSelect("action", p.Action),
		multiSelect("subjects", "Who (any of)", "Leave empty for everyone who meets the conditions", b.termOptions(false), subjInit),
		multiSelect("conditions", "Only if (all of)", "Folded into every subject", b.termOptions(true), condInit),
		multiSelect("tags", "Data tagged (any of)", "Tables carrying the tag on the table or any column", b.tagOptions(), tagInit),
		multiSelect("edit_assets", "Or these tables", "Specific tables", b.assetOptions(), assetInit),
		dur)
}

func plainClause(terms []policy.Term) string {
	var parts []string
	for _, t := range terms {
		_, l, ok := termValue(t)
		if !ok {
			l = t.Attribute + " in " + strings.Join(t.Values, "/")
		}
		parts = append(parts, l)
	}
	return strings.Join(parts, " and ")
}

func shortDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return d.String()
}

// policyFromEdit rebuilds a policy from the edit modal's values.
func policyFromEdit(d draftEntry, v map[string][]string, cat *policy.Catalog) (policy.Policy, map[string]string) {
	errs := map[string]string{}
	p := d.Policy
	clauses, _ := splitConditions(p.Subjects)
	if e := first(v["effect"]); e != "" {
		p.Effect = policy.Effect(e)
	}
	if a := first(v["action"]); a != "" {
		p.Action = policy.Action(a)
	}
	var conds []policy.Term
	for _, val := range v["conditions"] {
		t, err := parseTerm(val)
		if err != nil {
			errs["conditions"] = err.Error()
			continue
		}
		conds = append(conds, t)
	}
	var subjects [][]policy.Term
	for _, val := range v["subjects"] {
		var c []policy.Term
		var i int
		if _, err := fmt.Sscanf(val, "d:%d", &i); err == nil && i >= 0 && i < len(clauses) {
			c = slices.Clone(clauses[i])
		} else {
			t, err := parseTerm(val)
			if err != nil {
				errs["subjects"] = err.Error()
				continue
			}
			c = []policy.Term{t}
		}
		subjects = append(subjects, append(c, conds...))
	}
	if len(subjects) == 0 {
		subjects = [][]policy.Term{slices.Clone(conds)}
		if conds == nil {
			subjects = [][]policy.Term{{}}
		}
	}
	p.Subjects = subjects
	var objects []policy.Clause
	for _, val := range v["tags"] {
		var i int
		switch {
		case strings.HasPrefix(val, "t:"):
			objects = append(objects, policy.Clause{AllTags: []string{val[2:]}})
		default:
			if _, err := fmt.Sscanf(val, "o:%d", &i); err == nil && i >= 0 && i < len(d.Policy.Objects) {
				objects = append(objects, d.Policy.Objects[i])
			} else {
				errs["tags"] = fmt.Sprintf("bad option %q", val)
			}
		}
	}
	for _, val := range v["edit_assets"] {
		if id, ok := strings.CutPrefix(val, "x:"); ok {
			objects = append(objects, policy.Clause{Asset: id})
		}
	}
	if len(objects) == 0 {
		errs["tags"] = "Choose at least one tag or table: a policy must say which data it covers."
	}
	p.Objects = objects
	p.Duration = 0
	if s := strings.TrimSpace(first(v["duration"])); s != "" {
		dur, err := parseDuration(s)
		if err != nil {
			errs["duration"] = err.Error()
		}
		p.Duration = policy.Duration(dur)
	}
	if len(errs) == 0 {
		if err := cat.ValidatePolicy(p); err != nil {
			errs["tags"] = clamp(err.Error(), 300)
		}
	}
	return p, errs
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// checkSubmission validates a modal before the ack (catalog only, cheap).
// A non-empty result is shown next to the inputs and the modal stays open.
func (b *Bot) checkSubmission(ctx context.Context, s Submission) map[string]string {
	switch s.CallbackID {
	case cbDeny:
		if strings.TrimSpace(first(s.Values["reason"])) == "" {
			return map[string]string{"reason": "Please give the requester a reason."}
		}
	case cbAccess, cbExtend:
		errs := map[string]string{}
		if strings.TrimSpace(first(s.Values["reason"])) == "" {
			errs["reason"] = "Approvers decide on the reason; please give one."
		}
		if s.CallbackID == cbAccess && len(s.Values["assets"]) == 0 && strings.TrimSpace(first(s.Values["what"])) == "" {
			errs["assets"] = "Choose at least one table, or describe the data below."
		}
		if d := first(s.Values["duration"]); d != "" {
			if _, err := parseDuration(d); err != nil {
				errs["duration"] = err.Error()
			}
		}
		if len(errs) > 0 {
			return errs
		}
	case cbPolicyEdit:
		d, err := b.loadDraft(ctx, decodeMeta(s.Metadata).Draft)
		if err != nil {
			return map[string]string{"tags": "This draft is no longer available; run /policy again."}
		}
		if _, errs := policyFromEdit(d, s.Values, b.catalog()); len(errs) > 0 {
			return errs
		}
	}
	return nil
}

// handleSubmission runs a modal's submit after the ack.
func (b *Bot) handleSubmission(ctx context.Context, rsp responder, s Submission) {
	if !b.claim(ctx, "view:"+s.Key) {
		return
	}
	meta := decodeMeta(s.Metadata)
	o := s.Origin
	if o.Channel == "" {
		o.Channel = meta.Channel
	}
	switch s.CallbackID {
	case cbDeny:
		b.decide(ctx, rsp, o, meta.Request, approvals.Reject, strings.TrimSpace(first(s.Values["reason"])))
	case cbExtend:
		d, _ := parseDuration(first(s.Values["duration"]))
		b.extend(ctx, rsp, Origin{User: s.User}, meta.Request, d, strings.TrimSpace(first(s.Values["reason"])))
	case cbAccess:
		u, err := b.identify(ctx, rsp, s.User)
		if err != nil {
			b.fail(ctx, rsp, Origin{User: s.User}, "looking you up", err)
			return
		}
		d, _ := parseDuration(first(s.Values["duration"]))
		ask := accessAsk{What: strings.TrimSpace(first(s.Values["what"])), Action: policy.Action(first(s.Values["action"])),
			Duration: d, HasDur: true, Standing: first(s.Values["duration"]) == standingChoice, Reason: strings.TrimSpace(first(s.Values["reason"]))}
		if ask.Action == "" {
			ask.Action = policy.Read
		}
		var ids []string
		for _, v := range s.Values["assets"] {
			if id, ok := strings.CutPrefix(v, "x:"); ok {
				ids = append(ids, id)
			}
		}
		if ask.What == "" {
			ask.What = strings.Join(ids, ", ")
		}
		// Answers go by DM: a modal has no channel to answer in.
		b.requestAccess(ctx, rsp, Origin{User: s.User}, u, ask, ids)
	case cbPolicyEdit:
		u, ok := b.requireGovernance(ctx, rsp, Origin{User: s.User})
		if !ok {
			return
		}
		d, err := b.loadDraft(ctx, meta.Draft)
		if err != nil {
			b.refuse(ctx, rsp, Origin{User: s.User}, "I can't find that draft any more. Run `/policy` again to start over.")
			return
		}
		p, errs := policyFromEdit(d, s.Values, b.catalog())
		if len(errs) > 0 {
			b.tell(ctx, rsp, Origin{User: s.User}, "The edited policy is not valid, so nothing was saved: "+esc(fmt.Sprint(errs)))
			return
		}
		b.savePolicy(ctx, rsp, Origin{User: s.User, ResponseURL: meta.ResponseURL}, u, d, p)
	default:
		b.log.Warn("unknown view submission", "callback_id", s.CallbackID)
	}
}
