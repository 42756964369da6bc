package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/copilot"
	"github.com/steward-dev/steward/policy"
)

// Action ids on cards. Values carry only ids, never policy text or secrets.
const (
	actPolicySave    = "policy_save"
	actPolicyEdit    = "policy_edit"
	actPolicyDiscard = "policy_discard"
	actPolicyRetire  = "policy_retire"
	cbPolicyEdit     = "policy_edit"

	maxSentence = 2000
)

func timeDuration(d policy.Duration) time.Duration { return time.Duration(d) }

const policyHelp = "*Steward policies* (governance approvers only)\n" +
	"• `/policy <sentence>`: draft a policy, e.g. `/policy Accountants can read finance data after completing security awareness training`\n" +
	"• `/policy list`: policies in force\n" +
	"• `/policy show ID`: one policy, who and what it covers, and its Cedar text\n" +
	"• `/policy retire ID`: take a policy out of force\n" +
	"• `/policy explain @person <table>`: why someone has, or does not have, access\n" +
	"To ask for access yourself, use `/access`."

// handleCommand runs a slash command. Transports call it after the ack.
func (b *Bot) handleCommand(ctx context.Context, rsp responder, cmd Command) {
	if !b.claim(ctx, "cmd:"+cmd.Key) {
		return
	}
	switch cmd.Name {
	case "/policy":
		b.policyCommand(ctx, rsp, cmd)
	case "/access":
		b.accessCommand(ctx, rsp, cmd)
	default:
		b.tell(ctx, rsp, cmd.Origin, fmt.Sprintf("I don't know the command `%s`. Steward understands `/policy` (governance) and `/access` (ask for data).", esc(cmd.Name)))
	}
}

func (b *Bot) governanceGroup() string {
	if g := b.svc.Config().GovernanceGroup; g != "" {
		return g
	}
	return "governance"
}

// requireGovernance identifies the person and checks they may manage policies.
func (b *Bot) requireGovernance(ctx context.Context, rsp responder, o Origin) (policy.User, bool) {
	u, err := b.identify(ctx, rsp, o.User)
	if err != nil {
		b.fail(ctx, rsp, o, "looking you up", err)
		return policy.User{}, false
	}
	if !b.svc.IsGovernance(u.ID) {
		b.refuse(ctx, rsp, o, fmt.Sprintf("Sorry, %s: only members of the *%s* group can draft and manage policies. "+
			"If you need access to data, `/access` will route your request to the right approvers.", esc(firstName(u)), esc(b.governanceGroup())))
		return policy.User{}, false
	}
	return u, true
}

func firstName(u policy.User) string {
	if f := strings.Fields(u.Name); len(f) > 0 {
		return f[0]
	}
	return u.ID
}

func (b *Bot) policyCommand(ctx context.Context, rsp responder, cmd Command) {
	u, ok := b.requireGovernance(ctx, rsp, cmd.Origin)
	if !ok {
		return
	}
	text := strings.TrimSpace(cmd.Text)
	verb, rest, _ := strings.Cut(text, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(verb) {
	case "", "help", "-h", "--help":
		b.tell(ctx, rsp, cmd.Origin, policyHelp)
	case "list":
		b.policyList(ctx, rsp, cmd.Origin)
	case "show":
		b.policyShow(ctx, rsp, cmd.Origin, rest)
	case "retire":
		b.policyRetire(ctx, rsp, cmd.Origin, u, rest)
	case "explain":
		b.policyExplain(ctx, rsp, cmd.Origin, rest)
	default:
		b.policyDraft(ctx, rsp, cmd.Origin, u, text)
	}
}

func (b *Bot) policyDraft(ctx context.Context, rsp responder, o Origin, u policy.User, sentence string) {
	if n := len([]rune(sentence)); n > maxSentence {
		b.tell(ctx, rsp, o, fmt.Sprintf("That text is %d characters long. A policy is one sentence; please keep it under %d characters, e.g. `/policy Fraud analysts can read card transactions`.", n, maxSentence))
		return
	}
	b.reply(ctx, rsp, o, textMessage(":hourglass_flowing_sand: Drafting a policy from: _"+esc(clamp(sentence, 500))+"_"))
	b.cpu <- struct{}{}
	d, err := b.copilot.Draft(ctx, sentence, b.catalog())
	<-b.cpu
	if err != nil {
		b.fail(ctx, rsp, o, "drafting the policy", err)
		return
	}
	id := ""
	if d.OK && d.Policy != nil {
		if id, err = b.keepDraft(ctx, d, u.ID); err != nil {
			b.fail(ctx, rsp, o, "keeping the draft", err)
			return
		}
	}
	msg := draftCard(d, id, b.catalog())
	msg.ReplaceOriginal = true
	b.reply(ctx, rsp, o, msg)
}

// draftCard renders a copilot draft: the sentence, its parts, what each
// phrase resolved to and why, impact, warnings, Cedar, and Save/Edit/Discard.
func draftCard(d copilot.Draft, draftID string, cat *policy.Catalog) message {
	var bl []slack.Block
	title := "Policy draft"
	if !d.OK || d.Policy == nil {
		title = "I couldn't draft that policy"
	}
	bl = append(bl, header(title), section("> "+esc(clamp(strings.ReplaceAll(d.Sentence, "\n", " "), 2900))))
	if !d.OK || d.Policy == nil {
		reason := d.Error
		if reason == "" {
			reason = "the copilot could not turn this sentence into a policy."
		}
		bl = append(bl, section(":no_entry: "+esc(reason)))
	}
	dc := d.Decomposition
	var fields []string
	addField := func(label string, vals ...string) {
		var nonEmpty []string
		for _, v := range vals {
			if strings.TrimSpace(v) != "" {
				nonEmpty = append(nonEmpty, esc(v))
			}
		}
		if len(nonEmpty) > 0 {
			fields = append(fields, "*"+label+"*\n"+more(nonEmpty, 6, ", "))
		}
	}
	addField("Effect", dc.Effect)
	addField("Who", dc.Subjects...)
	addField("Action", dc.Action)
	addField("What", dc.Objects...)
	addField("Conditions", dc.Conditions...)
	addField("Duration", dc.Duration)
	addField("Purpose", dc.Purpose)
	if len(fields) > 0 {
		bl = append(bl, fieldsSection(fields...))
	}
	bl = append(bl, slack.NewDividerBlock())

	// Each phrase and what it resolved to, with the evidence.
	res := d.Resolution
	shown := 0
	for _, r := range res {
		if shown == 12 {
			bl = append(bl, contextText(fmt.Sprintf("_and %d more phrases_", len(res)-shown)))
			break
		}
		shown++
		var lines []string
		for _, m := range r.Matches {
			lines = append(lines, "• "+matchText(m))
		}
		role := ""
		if r.Role != "" {
			role = " (" + r.Role + ")"
		}
		body := "*“" + esc(clamp(r.Phrase, 200)) + "”*" + role + " →\n" + more(lines, 6, "\n")
		if len(r.Matches) == 0 {
			body = "*“" + esc(clamp(r.Phrase, 200)) + "”*" + role + " → _nothing in the catalog_"
		}
		bl = append(bl, section(body))
	}
	if len(d.Unresolved) > 0 {
		var lines []string
		for _, u := range d.Unresolved {
			line := "• *“" + esc(clamp(u, 200)) + "”* matched nothing in the catalog"
			if sug := d.Suggestions[u]; len(sug) > 0 {
				var names []string
				for _, m := range sug {
					names = append(names, "`"+esc(matchName(m))+"`")
				}
				line += "; did you mean " + more(names, 4, ", ") + "?"
			}
			lines = append(lines, line)
		}
		bl = append(bl, section(":grey_question: *Unresolved*\n"+more(lines, 8, "\n")))
	}
	if d.Policy != nil {
		p := d.Policy
		dur := "standing access"
		if p.Duration > 0 {
			dur = humanDuration(timeDuration(p.Duration))
		}
		bl = append(bl, section(fmt.Sprintf("*Policy*: %s *%s* %s\n*Who*: %s\n*What*: %s\n*For*: %s",
			p.Effect, p.Action, "access", subjectsText(p.Subjects), objectsText(p.Objects), dur)))
	}
	if d.Policy != nil {
		bl = append(bl, section(impactText(d.Impact, cat)))
	}
	if len(d.Warnings) > 0 {
		var ws []string
		for _, w := range d.Warnings {
			ws = append(ws, ":warning: "+esc(clamp(w, 300)))
		}
		bl = append(bl, section(more(ws, 8, "\n")))
	}
	if d.Cedar != "" {
		cedar := strings.ReplaceAll(d.Cedar, "```", "'''")
		if len([]rune(cedar))+8 <= 2900 {
			bl = append(bl, section("*Cedar*\n```"+cedar+"```"))
		} else {
			bl = append(bl, contextText(fmt.Sprintf("The Cedar text is %d characters long; `/policy show` displays it after saving.", len(cedar))))
		}
	}
	if draftID != "" {
		bl = append(bl, contextText("Nothing is saved until you press *Save*. Draft `"+draftID+"`"))
		bl = append(bl, actions("draft_actions",
			button(actPolicySave, "Save", draftID, "primary"),
			button(actPolicyEdit, "Edit", draftID, ""),
			button(actPolicyDiscard, "Discard", draftID, "danger")))
	}
	return fitMessage(message{Text: title + ": " + clamp(d.Sentence, 200), Blocks: bl})
}

func matchName(m copilot.Match) string {
	switch m.Kind {
	case "attribute":
		return m.Key + " = " + m.Value
	case "group":
		return "group " + m.Key
	case "tag":
		return "tag " + m.Key
	case "asset":
		return "table " + m.Key
	}
	if m.Value != "" {
		return m.Key + " = " + m.Value
	}
	return m.Key
}

func matchText(m copilot.Match) string {
	s := "`" + esc(clamp(matchName(m), 200)) + "`"
	if m.Why != "" {
		s += " — " + esc(clamp(m.Why, 300))
	}
	if m.Score > 0 {
		s += fmt.Sprintf(" _(%.2f)_", m.Score)
	}
	return s
}

// impactText says how many users and assets a policy covers, with a short list.
func impactText(im policy.Impact, cat *policy.Catalog) string {
	names := func(ids []string, user bool) string {
		var out []string
		for _, id := range ids {
			label := id
			if user {
				if u, ok := cat.User(id); ok && u.Name != "" {
					label = u.Name
				}
			}
			out = append(out, esc(clamp(label, 80)))
		}
		return more(out, 5, ", ")
	}
	s := fmt.Sprintf("*Impact*: covers *%s* and *%s*.", plural(len(im.Users), "user"), plural(len(im.Assets), "asset"))
	if len(im.Users) > 0 {
		s += "\nUsers: " + names(im.Users, true)
	}
	if len(im.Assets) > 0 {
		s += "\nAssets: " + names(im.Assets, false)
	}
	return s
}

// handleAction runs a button click. Transports call it after the ack.
func (b *Bot) handleAction(ctx context.Context, rsp responder, a Action) {
	if !b.claim(ctx, "act:"+a.Key) {
		return
	}
	switch a.ActionID {
	case actPolicySave:
		b.onPolicySave(ctx, rsp, a)
	case actPolicyEdit:
		b.onPolicyEdit(ctx, rsp, a)
	case actPolicyDiscard:
		b.onPolicyDiscard(ctx, rsp, a)
	case actPolicyRetire:
		if u, ok := b.requireGovernance(ctx, rsp, a.Origin); ok {
			b.policyRetire(ctx, rsp, a.Origin, u, a.Value)
		}
	case actApprove:
		b.decide(ctx, rsp, a.Origin, a.Value, approvals.Approve, "")
		if a.Channel == "" { // clicked on App Home: show it without the decided request
			b.publishHome(ctx, rsp, a.User)
		}
	case actDeny:
		b.onDenyClick(ctx, rsp, a)
	case actCancel:
		b.onCancel(ctx, rsp, a)
	case actRevoke:
		b.onRevoke(ctx, rsp, a)
	case actExtend:
		b.onExtendClick(ctx, rsp, a)
	case actRecertKeep, actRecertRevoke:
		b.onRecert(ctx, rsp, a)
	case actRecAccept, actRecDismiss:
		b.onRecommendation(ctx, rsp, a)
	case actHomeRefresh:
		b.publishHome(ctx, rsp, a.User)
	default:
		b.log.Warn("unknown action", "action_id", a.ActionID)
		b.refuse(ctx, rsp, a.Origin, "That button is not one I know (it may come from an older version of Steward). Nothing was changed.")
	}
}

func (b *Bot) onPolicySave(ctx context.Context, rsp responder, a Action) {
	u, ok := b.requireGovernance(ctx, rsp, a.Origin)
	if !ok {
		return
	}
	d, err := b.loadDraft(ctx, a.Value)
	if err != nil {
		b.refuse(ctx, rsp, a.Origin, "I can't find that draft any more (drafts are kept for a week). Run `/policy` again to start over. Nothing was saved.")
		return
	}
	b.savePolicy(ctx, rsp, a.Origin, u, d, d.Policy)
}

// savePolicy stores p as a new policy from draft d, once, and replaces the
// draft card's buttons with who saved it and when.
func (b *Bot) savePolicy(ctx context.Context, rsp responder, o Origin, u policy.User, d draftEntry, p policy.Policy) {
	if !b.claim(ctx, "policysave:"+d.ID) {
		b.refuse(ctx, rsp, o, "That draft has already been saved (or is being saved right now); nothing more to do.")
		return
	}
	if p.ID == "" {
		p.ID = policyIDFor(d.Sentence)
	}
	if p.Name == "" {
		p.Name = clamp(d.Sentence, 120)
	}
	p.Sentence, p.CreatedBy = d.Sentence, u.ID
	saved, err := b.svc.SavePolicy(ctx, p, u.ID)
	if err != nil {
		b.fail(ctx, rsp, o, "saving the policy (run `/policy` again to start over)", err)
		return
	}
	b.drafts.drop(d.ID)
	b.trigger()
	card := savedPolicyCard(saved, o.User, b.now(), b.catalog())
	card.ReplaceOriginal = true
	b.reply(ctx, rsp, o, card)
}

func savedPolicyCard(p policy.Policy, slackUser string, at time.Time, cat *policy.Catalog) message {
	dur := "standing access"
	if p.Duration > 0 {
		dur = humanDuration(timeDuration(p.Duration))
	}
	bl := []slack.Block{
		header("Policy saved"),
		section("> " + esc(clamp(p.Sentence, 2900))),
		section(fmt.Sprintf("*Policy*: %s *%s*\n*Who*: %s\n*What*: %s\n*For*: %s", p.Effect, p.Action, subjectsText(p.Subjects), objectsText(p.Objects), dur)),
		contextText(fmt.Sprintf(":white_check_mark: Saved as `%s` v%d by <@%s> at %s", esc(p.ID), p.Version, slackUser, when(at))),
	}
	return fitMessage(message{Text: fmt.Sprintf("Saved as %s v%d", p.ID, p.Version), Blocks: bl})
}

func (b *Bot) onPolicyDiscard(ctx context.Context, rsp responder, a Action) {
	if _, ok := b.requireGovernance(ctx, rsp, a.Origin); !ok {
		return
	}
	b.drafts.drop(a.Value)
	msg := textMessage(fmt.Sprintf(":wastebasket: Draft `%s` discarded by <@%s>. Nothing was saved.", esc(a.Value), a.User))
	msg.ReplaceOriginal = true
	b.reply(ctx, rsp, a.Origin, msg)
}

func (b *Bot) policyList(ctx context.Context, rsp responder, o Origin) {
	ps, err := b.store.ListPolicies(ctx)
	if err != nil {
		b.fail(ctx, rsp, o, "listing policies", err)
		return
	}
	if len(ps) == 0 {
		b.tell(ctx, rsp, o, "No policies are in force yet. Draft one with `/policy <sentence>`.")
		return
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].ID < ps[j].ID })
	bl := []slack.Block{header(fmt.Sprintf("%s in force", plural(len(ps), "policy")))}
	var lines []string
	for _, p := range ps {
		lines = append(lines, "• "+policyLine(p))
	}
	// Several sections of up to 15 lines each, then "and N more".
	const perSection, maxSections = 15, 40
	for i := 0; i < len(lines) && i/perSection < maxSections; i += perSection {
		end := min(i+perSection, len(lines))
		bl = append(bl, section(strings.Join(lines[i:end], "\n")))
	}
	if len(lines) > perSection*maxSections {
		bl = append(bl, contextText(fmt.Sprintf("_and %d more_", len(lines)-perSection*maxSections)))
	}
	bl = append(bl, contextText("`/policy show ID` for details."))
	b.reply(ctx, rsp, o, fitMessage(message{Text: "Policies in force", Blocks: bl}))
}

func (b *Bot) policyShow(ctx context.Context, rsp responder, o Origin, id string) {
	id = strings.TrimSpace(id)
	if id == "" {
		b.tell(ctx, rsp, o, "Which policy? `/policy show ID` (see `/policy list`).")
		return
	}
	p, err := b.store.GetPolicy(ctx, id)
	if errors.Is(err, approvals.ErrNotFound) {
		b.tell(ctx, rsp, o, fmt.Sprintf("There is no policy `%s` in force. `/policy list` shows the ones there are.", esc(id)))
		return
	}
	if err != nil {
		b.fail(ctx, rsp, o, "loading the policy", err)
		return
	}
	dur := "standing access"
	if p.Duration > 0 {
		dur = humanDuration(timeDuration(p.Duration))
	}
	bl := []slack.Block{
		header("Policy " + p.ID),
		section("> " + esc(clamp(p.Sentence, 2900))),
		section(fmt.Sprintf("*Effect*: %s *%s*\n*Who*: %s\n*What*: %s\n*For*: %s\n*Version*: %d, saved by %s at %s",
			p.Effect, p.Action, subjectsText(p.Subjects), objectsText(p.Objects), dur, p.Version, b.mention(p.CreatedBy), when(p.CreatedAt))),
		section(impactText(b.index().Impact(p), b.catalog())),
	}
	if cedar, err := policy.CedarPolicy(p); err == nil && cedar != "" {
		if len(cedar) < 2800 {
			bl = append(bl, section("*Cedar*\n```"+strings.ReplaceAll(cedar, "```", "'''")+"```"))
		} else {
			bl = append(bl, contextText(fmt.Sprintf("Cedar text: %d characters (too long to show here; `steward policy cedar` prints it).", len(cedar))))
		}
	}
	retire := button(actPolicyRetire, "Retire", p.ID, "danger")
	retire.Confirm = slack.NewConfirmationBlockObject(plain("Retire this policy?", 100),
		md("Access it gives will be removed at the next reconcile. Its history is kept."), plain("Retire", 30), plain("Keep", 30))
	bl = append(bl, actions("policy_actions", retire))
	b.reply(ctx, rsp, o, fitMessage(message{Text: "Policy " + p.ID, Blocks: bl}))
}

func (b *Bot) policyRetire(ctx context.Context, rsp responder, o Origin, u policy.User, id string) {
	id = strings.TrimSpace(id)
	if id == "" {
		b.tell(ctx, rsp, o, "Which policy? `/policy retire ID` (see `/policy list`).")
		return
	}
	err := b.svc.RetirePolicy(ctx, id, u.ID)
	switch {
	case errors.Is(err, approvals.ErrNotFound):
		b.tell(ctx, rsp, o, fmt.Sprintf("There is no policy `%s` in force; nothing was changed.", esc(id)))
	case err != nil:
		b.fail(ctx, rsp, o, "retiring the policy", err)
	default:
		b.trigger()
		b.tell(ctx, rsp, o, fmt.Sprintf(":white_check_mark: Policy `%s` retired by <@%s>. Access it gave will be removed at the next reconcile; its history is kept.", esc(id), o.User))
	}
}

var userRefRe = strings.NewReplacer("<@", "", ">", "")

// findUser resolves "<@U123|name>", "@ana", an id, an email or a name.
func (b *Bot) findUser(ctx context.Context, rsp responder, ref string) (policy.User, error) {
	cat := b.catalog()
	if strings.HasPrefix(ref, "<@") {
		id, _, _ := strings.Cut(userRefRe.Replace(ref), "|")
		return b.identify(ctx, rsp, id)
	}
	ref = strings.TrimPrefix(ref, "@")
	if u, ok := cat.User(ref); ok {
		return u, nil
	}
	if u, ok := cat.UserByEmail(ref); ok {
		return u, nil
	}
	low := strings.ToLower(ref)
	for _, u := range cat.Users {
		local, _, _ := strings.Cut(strings.ToLower(u.Email), "@")
		idLocal, _, _ := strings.Cut(strings.ToLower(u.ID), "@")
		if strings.EqualFold(u.Name, ref) || local == low || idLocal == low || strings.EqualFold(firstName(u), ref) {
			return u, nil
		}
	}
	return policy.User{}, fmt.Errorf("I can't find %q in the catalog", ref)
}

// findAsset resolves an asset by id or name.
func (b *Bot) findAsset(ref string) (policy.Asset, bool) {
	cat := b.catalog()
	ref = strings.Trim(ref, "`'\" ")
	if a, ok := cat.Asset(ref); ok {
		return a, true
	}
	for _, a := range cat.Assets {
		if strings.EqualFold(a.Name, ref) || strings.EqualFold(a.ID, ref) {
			return a, true
		}
	}
	return policy.Asset{}, false
}

func (b *Bot) policyExplain(ctx context.Context, rsp responder, o Origin, rest string) {
	f := strings.Fields(rest)
	if len(f) < 2 {
		b.tell(ctx, rsp, o, "Usage: `/policy explain @person <table> [read|write]`, e.g. `/policy explain @ana finance.journal_entries`.")
		return
	}
	u, err := b.findUser(ctx, rsp, f[0])
	if err != nil {
		b.tell(ctx, rsp, o, esc(err.Error())+". Usage: `/policy explain @person <table>`.")
		return
	}
	action := policy.Read
	assetRef := strings.Join(f[1:], " ")
	if last := strings.ToLower(f[len(f)-1]); len(f) > 2 && (last == "write" || last == "read") {
		action = policy.Action(last)
		assetRef = strings.Join(f[1:len(f)-1], " ")
	}
	asset, ok := b.findAsset(assetRef)
	if !ok {
		b.tell(ctx, rsp, o, fmt.Sprintf("I can't find a table called `%s` in the catalog.", esc(assetRef)))
		return
	}
	ev, err := b.svc.Evaluator(ctx)
	if err != nil {
		b.fail(ctx, rsp, o, "loading the policies", err)
		return
	}
	ex := ev.Explain(u.ID, asset.ID, action)
	grants, err := b.store.ListGrants(ctx, approvals.GrantFilter{User: u.ID, Asset: asset.ID, State: approvals.GrantActive})
	if err != nil {
		b.fail(ctx, rsp, o, "loading grants", err)
		return
	}
	var usable []approvals.Grant
	for _, g := range grants {
		if g.Action == action || g.Action == policy.Write {
			usable = append(usable, g)
		}
	}
	verdict := ":no_entry: *does not have*"
	if ex.Allowed || len(usable) > 0 {
		verdict = ":white_check_mark: *has*"
	}
	bl := []slack.Block{
		section(fmt.Sprintf("%s %s %s access to `%s`.", b.mention(u.ID), verdict, action, esc(asset.ID))),
	}
	reasons := func(label string, rs []policy.Reason) {
		if len(rs) == 0 {
			return
		}
		var lines []string
		for _, r := range rs {
			var terms []string
			for _, t := range r.MatchedTerms {
				terms = append(terms, termText(t))
			}
			line := "• `" + esc(r.PolicyID) + "`"
			if r.PolicyName != "" {
				line += " " + esc(clamp(r.PolicyName, 120))
			}
			if len(terms) > 0 {
				line += "\n   because " + more(terms, 5, " and ")
			}
			line += "; covers " + objectText(r.Clause)
			lines = append(lines, line)
		}
		bl = append(bl, section("*"+label+"*\n"+more(lines, 8, "\n")))
	}
	reasons("Allowed by", ex.Allows)
	reasons("Denied by (deny wins)", ex.Denies)
	reasons("Masked by", ex.Masks)
	if len(usable) > 0 {
		var lines []string
		for _, g := range usable {
			lines = append(lines, fmt.Sprintf("• request `%s`: %s, %s", esc(g.RequestID), g.Action, left(b.now(), g.ExpiresAt)))
		}
		bl = append(bl, section("*Granted by approved requests*\n"+more(lines, 8, "\n")))
	}
	if ex.Summary != "" {
		bl = append(bl, contextText(esc(ex.Summary)))
	}
	if !ex.Allowed && len(usable) == 0 && len(ex.Denies) == 0 {
		bl = append(bl, contextText("No policy covers this. They can ask with `/access "+esc(asset.ID)+" for 7 days because …`."))
	}
	b.reply(ctx, rsp, o, fitMessage(message{Text: "Access explanation", Blocks: bl}))
}

// index is built once per bot: the catalog does not change while it runs.
func (b *Bot) index() *policy.Index { return policy.NewIndex(b.catalog()) }
