package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/steward-dev/steward/approvals"
	"github.com/steward-dev/steward/policy"
)

const (
	actApprove     = "request_approve"
	actDeny        = "request_deny"
	actCancel      = "request_cancel"
	actRevoke      = "request_revoke"
	actExtend      = "request_extend"
	cbAccess       = "access_request"
	cbDeny         = "request_deny"
	cbExtend       = "request_extend"
	kindCard       = "approval_card"
	kindDMCard     = "approval_dm:"
	kindRequester  = "requester_dm"
	maxAskedAssets = 25
)

const accessHelp = "*Asking for access*\n" +
	"• `/access <what> for <how long> because <why>`, e.g. `/access the claims tables for a week because I'm reconciling Q3`\n" +
	"• `/access` alone opens a form with a table search\n" +
	"• or mention me: `@Steward I need write access to finance.journal_entries for 2 days to fix the import`\n" +
	"Approvers (the data owners and the governance group) get a card; you get a DM when they decide."

func (b *Bot) accessCommand(ctx context.Context, rsp responder, cmd Command) {
	text := strings.TrimSpace(cmd.Text)
	switch strings.ToLower(text) {
	case "":
		b.openAccessModal(ctx, rsp, cmd.Origin)
		return
	case "help", "-h", "--help":
		b.tell(ctx, rsp, cmd.Origin, accessHelp)
		return
	}
	u, err := b.identify(ctx, rsp, cmd.User)
	if err != nil {
		b.fail(ctx, rsp, cmd.Origin, "looking you up", err)
		return
	}
	ask, err := parseAccess(text)
	if err != nil {
		b.tell(ctx, rsp, cmd.Origin, "I couldn't read that request: "+esc(err.Error())+"\n\n"+accessHelp)
		return
	}
	b.requestAccess(ctx, rsp, cmd.Origin, u, ask, nil)
}

// handleMention runs a message that mentions the bot: an access request in words.
func (b *Bot) handleMention(ctx context.Context, rsp responder, m Mention) {
	if !b.claim(ctx, "evt:"+m.Key) {
		return
	}
	text := strings.TrimSpace(mentionRe.ReplaceAllString(m.Text, " "))
	if text == "" || strings.EqualFold(text, "help") {
		b.tell(ctx, rsp, m.Origin, accessHelp)
		return
	}
	u, err := b.identify(ctx, rsp, m.User)
	if err != nil {
		b.fail(ctx, rsp, m.Origin, "looking you up", err)
		return
	}
	ask, err := parseAccess(text)
	if err != nil {
		b.tell(ctx, rsp, m.Origin, "I couldn't read that as an access request: "+esc(err.Error())+"\n\n"+accessHelp)
		return
	}
	b.requestAccess(ctx, rsp, m.Origin, u, ask, nil)
}

// resolveAssets turns what someone typed into asset ids: exact table ids or
// names first, otherwise the copilot's object resolver ("the claims tables").
func (b *Bot) resolveAssets(what string) ([]string, string, error) {
	pieces := strings.FieldsFunc(strings.NewReplacer(" and ", ",", " & ", ",", ";", ",").Replace(what), func(r rune) bool { return r == ',' })
	var ids []string
	for _, p := range pieces {
		p = strings.TrimSpace(p)
		p = strings.TrimPrefix(strings.TrimPrefix(p, "the "), "table ")
		if a, ok := b.findAsset(p); ok {
			ids = append(ids, a.ID)
			continue
		}
		ids = nil
		break
	}
	if len(ids) > 0 {
		slices.Sort(ids)
		return slices.Compact(ids), "", nil
	}
	cat := b.catalog()
	clauses, matches, err := b.objects.ResolveObjects(cat, what)
	if err != nil {
		return nil, "", fmt.Errorf("I couldn't tell which data you mean by “%s”: %w. Name the tables (e.g. `%s`) or the kind of data", what, err, b.exampleAsset())
	}
	for _, a := range cat.Assets {
		if policy.MatchesAsset(a.ID, cat.AssetTags(a.ID), clauses) {
			ids = append(ids, a.ID)
		}
	}
	if len(ids) == 0 {
		return nil, "", fmt.Errorf("nothing in the catalog matches “%s”. Name the tables (e.g. `%s`)", what, b.exampleAsset())
	}
	if len(ids) > maxAskedAssets {
		return nil, "", fmt.Errorf("“%s” matches %d tables, more than the %d one request may cover; please be more specific", what, len(ids), maxAskedAssets)
	}
	var why []string
	for _, m := range matches {
		why = append(why, matchName(m))
	}
	return ids, "“" + what + "” → " + more(why, 4, ", "), nil
}

func (b *Bot) exampleAsset() string {
	cat := b.catalog()
	if len(cat.Assets) > 0 {
		return cat.Assets[0].ID
	}
	return "schema.table"
}

// requestAccess submits a request and routes it: an instant answer when
// policies already cover it, otherwise cards to the approvers.
func (b *Bot) requestAccess(ctx context.Context, rsp responder, o Origin, u policy.User, ask accessAsk, assets []string) {
	why := ""
	if len(assets) == 0 {
		var err error
		assets, why, err = b.resolveAssets(ask.What)
		if err != nil {
			b.tell(ctx, rsp, o, esc(err.Error())+". Nothing was requested.")
			return
		}
	}
	if strings.TrimSpace(ask.Reason) == "" {
		b.tell(ctx, rsp, o, fmt.Sprintf("Please say why you need it, e.g. `/access %s for %s because <reason>`. Approvers decide on the reason. Nothing was requested.",
			esc(ask.What), "7 days"))
		return
	}
	res, err := b.svc.Submit(ctx, approvals.NewRequest{
		Requester: u.ID, Assets: assets, Query: ask.What, Action: ask.Action, Duration: ask.Duration, Standing: ask.Standing, Reason: ask.Reason,
	})
	if err != nil {
		b.submitFailed(ctx, rsp, o, err)
		return
	}
	b.routeSubmitted(ctx, rsp, o, res, why)
}

func (b *Bot) submitFailed(ctx context.Context, rsp responder, o Origin, err error) {
	switch {
	case errors.Is(err, approvals.ErrInvalid), errors.Is(err, approvals.ErrDeniedByPolicy), errors.Is(err, approvals.ErrNoApprover),
		errors.Is(err, approvals.ErrForbidden), errors.Is(err, approvals.ErrNotFound):
		b.tell(ctx, rsp, o, ":no_entry: "+esc(strings.TrimPrefix(err.Error(), "submitting request: "))+". Nothing was requested.")
	default:
		b.fail(ctx, rsp, o, "submitting your request", err)
	}
}

func (b *Bot) routeSubmitted(ctx context.Context, rsp responder, o Origin, res approvals.SubmitResult, why string) {
	r := res.Request
	if res.Covered {
		var ps []string
		for _, id := range res.CoveredBy {
			ps = append(ps, "`"+esc(id)+"`")
		}
		b.tell(ctx, rsp, o, fmt.Sprintf(":white_check_mark: Good news: you already have %s access to %s through policy %s. No approval is needed.",
			r.Action, b.assetList(r.Assets, 5), strings.Join(ps, ", ")))
		return
	}
	if err := b.postApprovalCards(ctx, rsp, r); err != nil {
		b.fail(ctx, rsp, o, "sending your request to the approvers (it is saved as `"+r.ID+"`)", err)
		return
	}
	var approvers []string
	for _, a := range r.Approvers {
		approvers = append(approvers, b.mention(a))
	}
	msg := fmt.Sprintf(":inbox_tray: Request `%s` is with the approvers: %s access to %s for %s.\nApprovers: %s (%s needed). I'll DM you when they decide.",
		esc(r.ID), r.Action, b.assetList(r.Assets, 5), humanDuration(r.Duration), more(approvers, 5, ", "), plural(max(r.RequiredApprovals, 1), "approval"))
	if why != "" {
		msg += "\n_" + esc(clamp(why, 500)) + "_"
	}
	b.tell(ctx, rsp, o, msg)
}

func (b *Bot) assetList(ids []string, n int) string {
	var out []string
	for _, id := range ids {
		out = append(out, "`"+esc(id)+"`")
	}
	return more(out, n, ", ")
}

// postApprovalCards posts the request's card to the approvals channel, or
// to each approver by DM when no channel is configured, and remembers where.
func (b *Bot) postApprovalCards(ctx context.Context, rsp responder, r approvals.Request) error {
	card := b.requestCard(ctx, r)
	if ch := b.cfg.ApprovalsChannel; ch != "" {
		ref, err := rsp.Post(ctx, ch, card)
		if err != nil {
			return fmt.Errorf("posting to %s: %w", ch, err)
		}
		return b.store.SaveMessageRef(ctx, approvals.MessageRef{RequestID: r.ID, Kind: kindCard, Channel: ref.Channel, TS: ref.TS})
	}
	var errs []error
	for _, a := range r.Approvers {
		sid := b.slackIDOf(ctx, rsp, a)
		if sid == "" {
			continue
		}
		ref, err := rsp.DM(ctx, sid, card)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, b.store.SaveMessageRef(ctx, approvals.MessageRef{RequestID: r.ID, Kind: kindDMCard + a, Channel: ref.Channel, TS: ref.TS}))
	}
	return errors.Join(errs...)
}

// requestCard renders a request for its approvers.
func (b *Bot) requestCard(ctx context.Context, r approvals.Request) message {
	u, _ := b.catalog().User(r.Requester)
	title := "Access request"
	if r.ExtendsRequest != "" {
		title = "Extension request"
	}
	bl := []slack.Block{header(title)}
	who := b.mention(r.Requester)
	dur := humanDuration(r.Duration)
	bl = append(bl, section(fmt.Sprintf("%s asks for *%s* access to %s for *%s*.", who, r.Action, b.assetList(r.Assets, 10), dur)))

	// The requester's metadata, which is what policies and approvers reason over.
	var meta []string
	keys := make([]string, 0, len(u.Attributes))
	for k := range u.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		meta = append(meta, "*"+esc(k)+"*: "+esc(more(u.Attributes[k], 4, ", ")))
	}
	if len(u.Groups) > 0 {
		meta = append(meta, "*groups*: "+esc(more(u.Groups, 5, ", ")))
	}
	if len(meta) > 0 {
		bl = append(bl, section("*Requester*\n"+more(meta, 10, "\n")))
	}
	var assets []string
	cat := b.catalog()
	for _, id := range r.Assets {
		a, _ := cat.Asset(id)
		line := "• `" + esc(id) + "`"
		if a.Platform != "" {
			line += " (" + esc(a.Platform) + ")"
		}
		if tags := cat.AssetTags(id); len(tags) > 0 {
			var ts []string
			for _, t := range tags {
				ts = append(ts, esc(t))
			}
			line += ": " + more(ts, 6, ", ")
		}
		if a.Owner != "" {
			line += " · owner " + b.mention(a.Owner)
		}
		assets = append(assets, line)
	}
	bl = append(bl, section("*Data*\n"+more(assets, 10, "\n")))
	if r.Query != "" && !slices.Contains(r.Assets, r.Query) {
		bl = append(bl, contextText("Asked for as “"+esc(clamp(r.Query, 300))+"”"))
	}
	bl = append(bl, section("*Reason*\n> "+esc(clamp(strings.ReplaceAll(r.Reason, "\n", " "), 2500))))
	bl = append(bl, section("*Policy coverage*: "+b.coverageText(ctx, r)))

	var approvers []string
	for _, a := range r.Approvers {
		approvers = append(approvers, b.mention(a))
	}
	need := max(r.RequiredApprovals, 1)
	got := 0
	var reviews []string
	for _, rv := range r.Reviews {
		verb := ":white_check_mark: approved"
		if rv.Verdict == approvals.Reject {
			verb = ":x: denied"
		} else {
			got++
		}
		line := fmt.Sprintf("%s %s at %s", b.mention(rv.Reviewer), verb, when(rv.At))
		if rv.Comment != "" {
			line += ": _" + esc(clamp(rv.Comment, 300)) + "_"
		}
		reviews = append(reviews, line)
	}
	status := ""
	switch r.State {
	case approvals.StatePending:
		status = fmt.Sprintf(":hourglass: *Pending*: %d of %d approvals. Approvers: %s", got, need, more(approvers, 8, ", "))
	case approvals.StateApproved:
		status = fmt.Sprintf(":white_check_mark: *Approved* by %s at %s.", b.mention(r.DecidedBy), when(r.DecidedAt))
		if r.Duration > 0 {
			status += " Access ends " + when(r.DecidedAt.Add(r.Duration)) + "."
		}
	case approvals.StateDenied:
		status = fmt.Sprintf(":x: *Denied* by %s at %s.", b.mention(r.DecidedBy), when(r.DecidedAt))
	case approvals.StateCancelled:
		status = fmt.Sprintf(":heavy_minus_sign: *Cancelled* by the requester at %s.", when(r.UpdatedAt))
	case approvals.StateExpired:
		status = fmt.Sprintf(":hourglass_flowing_sand: *Expired*: access ended at %s.", when(r.UpdatedAt))
	case approvals.StateRevoked:
		status = fmt.Sprintf(":no_entry_sign: *Revoked* at %s.", when(r.UpdatedAt))
	}
	bl = append(bl, section(status))
	if len(reviews) > 0 {
		bl = append(bl, contextText(more(reviews, 8, "\n")))
	}
	bl = append(bl, contextText(fmt.Sprintf("Request `%s` · asked %s", esc(r.ID), when(r.CreatedAt))))
	if r.State == approvals.StatePending {
		deny := button(actDeny, "Deny", r.ID, "danger")
		bl = append(bl, actions("request_actions", button(actApprove, "Approve", r.ID, "primary"), deny))
	}
	text := fmt.Sprintf("%s: %s asks for %s access to %s", title, u.Name, r.Action, strings.Join(r.Assets, ", "))
	return fitMessage(message{Text: text, Blocks: bl})
}

// coverageText says whether saved policies already allow some of the request.
func (b *Bot) coverageText(ctx context.Context, r approvals.Request) string {
	ev, err := b.svc.Evaluator(ctx)
	if err != nil {
		return "_unknown (" + esc(err.Error()) + ")_"
	}
	var covered []string
	policies := map[string]bool{}
	for _, a := range r.Assets {
		ex := ev.Explain(r.Requester, a, r.Action)
		if !ex.Allowed {
			continue
		}
		covered = append(covered, a)
		for _, al := range ex.Allows {
			policies[al.PolicyID] = true
		}
	}
	if len(covered) == 0 {
		return "no saved policy covers any of this."
	}
	ids := make([]string, 0, len(policies))
	for id := range policies {
		ids = append(ids, "`"+esc(id)+"`")
	}
	sort.Strings(ids)
	return fmt.Sprintf("%s of %d already allowed by %s.", b.assetList(covered, 5), len(r.Assets), strings.Join(ids, ", "))
}

// refreshCards redraws every card that shows the request.
//
// clicked is the card whose button was pressed, when there is one: it is
// updated even if its reference is not stored yet (a click can arrive while
// the request's card reference is still being written).
func (b *Bot) refreshCards(ctx context.Context, rsp responder, r approvals.Request, clicked ...Ref) []approvals.MessageRef {
	refs, err := b.store.MessageRefs(ctx, r.ID)
	if err != nil {
		b.log.Error("loading message refs", "request", r.ID, "err", err)
		refs = nil
	}
	card := b.requestCard(ctx, r)
	var cards []approvals.MessageRef
	for _, c := range clicked {
		if c.Channel == "" || c.TS == "" || slices.ContainsFunc(refs, func(m approvals.MessageRef) bool { return m.Channel == c.Channel && m.TS == c.TS }) {
			continue
		}
		refs = append(refs, approvals.MessageRef{RequestID: r.ID, Kind: kindCard, Channel: c.Channel, TS: c.TS})
	}
	for _, ref := range refs {
		if ref.Kind != kindCard && !strings.HasPrefix(ref.Kind, kindDMCard) {
			continue
		}
		cards = append(cards, ref)
		if err := rsp.Update(ctx, Ref{Channel: ref.Channel, TS: ref.TS}, card); err != nil {
			b.metrics.Errors.WithLabelValues("update_card").Inc()
			b.log.Error("updating card", "request", r.ID, "channel", ref.Channel, "err", err)
		}
	}
	return cards
}

// decide records one review and shows it everywhere it matters.
func (b *Bot) decide(ctx context.Context, rsp responder, o Origin, requestID string, verdict approvals.Verdict, comment string) {
	u, err := b.identify(ctx, rsp, o.User)
	if err != nil {
		b.fail(ctx, rsp, o, "looking you up", err)
		return
	}
	dec, err := b.svc.Decide(ctx, requestID, u.ID, verdict, comment)
	if err != nil {
		b.decisionRefused(ctx, rsp, o, requestID, err)
		return
	}
	r := dec.Request
	cards := b.refreshCards(ctx, rsp, r, Ref{Channel: o.Channel, TS: o.MessageTS})
	verb := "approved"
	if verdict == approvals.Reject {
		verb = "denied"
	}
	note := fmt.Sprintf("%s %s this request", b.mention(u.ID), verb)
	if r.State == approvals.StatePending {
		note += fmt.Sprintf(" (%d of %d approvals)", countApprovals(r), max(r.RequiredApprovals, 1))
	}
	if comment != "" {
		note += ": _" + esc(clamp(comment, 1000)) + "_"
	}
	for _, ref := range cards {
		if _, err := rsp.Post(ctx, ref.Channel, message{Text: clamp(note, 3000), Blocks: []slack.Block{section(note)}, ThreadTS: ref.TS}); err != nil {
			b.log.Error("posting review to thread", "request", r.ID, "err", err)
		}
	}
	if r.State == approvals.StatePending {
		return
	}
	if r.State == approvals.StateApproved {
		b.trigger()
	}
	b.notifyRequester(ctx, rsp, r)
}

func countApprovals(r approvals.Request) int {
	n := 0
	for _, rv := range r.Reviews {
		if rv.Verdict == approvals.Approve {
			n++
		}
	}
	return n
}

// notifyRequester DMs the requester the outcome.
func (b *Bot) notifyRequester(ctx context.Context, rsp responder, r approvals.Request) {
	sid := b.slackIDOf(ctx, rsp, r.Requester)
	if sid == "" {
		b.log.Warn("requester has no Slack account to notify", "request", r.ID, "user", r.Requester)
		return
	}
	var text string
	switch r.State {
	case approvals.StateApproved:
		end := "It has no end date."
		if r.Duration > 0 {
			end = "It ends " + when(r.DecidedAt.Add(r.Duration)) + "; I'll remind you before then."
		}
		text = fmt.Sprintf(":white_check_mark: Your request `%s` for %s access to %s was *approved* by %s. %s It is being applied on the platforms now.",
			esc(r.ID), r.Action, b.assetList(r.Assets, 5), b.mention(r.DecidedBy), end)
	case approvals.StateDenied:
		reason := ""
		for _, rv := range r.Reviews {
			if rv.Verdict == approvals.Reject && rv.Comment != "" {
				reason = " Reason: _" + esc(clamp(rv.Comment, 1000)) + "_"
			}
		}
		text = fmt.Sprintf(":x: Your request `%s` for %s access to %s was *denied* by %s.%s",
			esc(r.ID), r.Action, b.assetList(r.Assets, 5), b.mention(r.DecidedBy), reason)
	case approvals.StateRevoked:
		text = fmt.Sprintf(":no_entry_sign: Your access from request `%s` (%s) was *revoked*.", esc(r.ID), b.assetList(r.Assets, 5))
	default:
		return
	}
	ref, err := rsp.DM(ctx, sid, textMessage(text))
	if err != nil {
		b.log.Error("DMing requester", "request", r.ID, "err", err)
		return
	}
	_ = b.store.SaveMessageRef(ctx, approvals.MessageRef{RequestID: r.ID, Kind: kindRequester, Channel: ref.Channel, TS: ref.TS})
}

// decisionRefused explains, privately, why a click changed nothing.
func (b *Bot) decisionRefused(ctx context.Context, rsp responder, o Origin, requestID string, err error) {
	var decided *approvals.DecidedError
	switch {
	case errors.Is(err, approvals.ErrSelfApproval):
		b.refuse(ctx, rsp, o, "You asked for this access, so you can't review it yourself. One of the other approvers will decide. Nothing was changed.")
	case errors.As(err, &decided):
		b.refuse(ctx, rsp, o, fmt.Sprintf("This request was already %s by %s at %s. Nothing was changed.", decided.State, b.mention(decided.By), when(decided.At)))
		if r, gerr := b.store.GetRequest(ctx, requestID); gerr == nil {
			b.refreshCards(ctx, rsp, r)
		}
	case errors.Is(err, approvals.ErrAlreadyReviewed):
		b.refuse(ctx, rsp, o, "You have already reviewed this request; it is waiting for the other approvers. Nothing was changed.")
	case errors.Is(err, approvals.ErrNotApprover), errors.Is(err, approvals.ErrForbidden):
		msg := "Only the owners of this data or the governance group can decide on this request, so your click changed nothing."
		if r, gerr := b.store.GetRequest(ctx, requestID); gerr == nil {
			var names []string
			for _, a := range r.Approvers {
				names = append(names, b.mention(a))
			}
			msg += " Approvers: " + more(names, 8, ", ") + "."
		}
		b.refuse(ctx, rsp, o, msg)
	case errors.Is(err, approvals.ErrNotFound):
		b.refuse(ctx, rsp, o, "I can't find that request any more. Nothing was changed.")
	default:
		b.fail(ctx, rsp, o, "recording your decision", err)
	}
}

// checkDecider is the click-time check done before opening a Deny modal,
// so an outsider never sees a form they cannot submit.
func (b *Bot) checkDecider(ctx context.Context, rsp responder, o Origin, requestID string) (policy.User, bool) {
	u, err := b.identify(ctx, rsp, o.User)
	if err != nil {
		b.fail(ctx, rsp, o, "looking you up", err)
		return policy.User{}, false
	}
	r, err := b.store.GetRequest(ctx, requestID)
	if err != nil {
		b.decisionRefused(ctx, rsp, o, requestID, err)
		return policy.User{}, false
	}
	switch {
	case r.State != approvals.StatePending:
		b.decisionRefused(ctx, rsp, o, requestID, &approvals.DecidedError{RequestID: r.ID, State: r.State, By: r.DecidedBy, At: r.DecidedAt})
		return policy.User{}, false
	case r.Requester == u.ID:
		b.decisionRefused(ctx, rsp, o, requestID, approvals.ErrSelfApproval)
		return policy.User{}, false
	case !b.svc.CanDecide(r, u.ID):
		b.decisionRefused(ctx, rsp, o, requestID, approvals.ErrNotApprover)
		return policy.User{}, false
	}
	return u, true
}

func (b *Bot) onDenyClick(ctx context.Context, rsp responder, a Action) {
	if _, ok := b.checkDecider(ctx, rsp, a.Origin, a.Value); !ok {
		return
	}
	view := modal(cbDeny, "Deny request", "Deny", encodeMeta(viewMeta{Request: a.Value, Channel: a.Channel}),
		section("Tell the requester why. They will see this reason."),
		textInput("reason", "Reason", "e.g. Use the anonymised extract instead", true, 1000))
	if err := rsp.OpenModal(ctx, a.TriggerID, view); err != nil {
		b.fail(ctx, rsp, a.Origin, "opening the deny form", err)
	}
}

func (b *Bot) onCancel(ctx context.Context, rsp responder, a Action) {
	u, err := b.identify(ctx, rsp, a.User)
	if err != nil {
		b.fail(ctx, rsp, a.Origin, "looking you up", err)
		return
	}
	r, err := b.svc.Cancel(ctx, a.Value, u.ID)
	if err != nil {
		b.refuse(ctx, rsp, a.Origin, "Couldn't cancel: "+esc(err.Error())+". Nothing was changed.")
		return
	}
	b.refreshCards(ctx, rsp, r)
	b.publishHome(ctx, rsp, a.User)
}

func (b *Bot) onRevoke(ctx context.Context, rsp responder, a Action) {
	u, err := b.identify(ctx, rsp, a.User)
	if err != nil {
		b.fail(ctx, rsp, a.Origin, "looking you up", err)
		return
	}
	r, err := b.svc.Revoke(ctx, a.Value, u.ID)
	if err != nil {
		b.refuse(ctx, rsp, a.Origin, "Couldn't revoke: "+esc(err.Error())+". Nothing was changed.")
		return
	}
	b.trigger()
	b.refreshCards(ctx, rsp, r)
	if r.Requester != u.ID {
		b.notifyRequester(ctx, rsp, r)
	}
	b.publishHome(ctx, rsp, a.User)
}

func (b *Bot) onExtendClick(ctx context.Context, rsp responder, a Action) {
	r, err := b.store.GetRequest(ctx, a.Value)
	if err != nil {
		b.refuse(ctx, rsp, a.Origin, "I can't find that request any more.")
		return
	}
	view := modal(cbExtend, "Extend access", "Ask", encodeMeta(viewMeta{Request: r.ID}),
		section(fmt.Sprintf("Ask for more time on %s (%s access). It goes to the approvers again.", b.assetList(r.Assets, 5), r.Action)),
		durationSelect("duration", "For how much longer", r.Duration, false),
		textInput("reason", "Why do you still need it?", "e.g. the audit was extended by a week", true, 1000))
	if err := rsp.OpenModal(ctx, a.TriggerID, view); err != nil {
		b.fail(ctx, rsp, a.Origin, "opening the extension form", err)
	}
}

func (b *Bot) extend(ctx context.Context, rsp responder, o Origin, requestID string, d time.Duration, reason string) {
	u, err := b.identify(ctx, rsp, o.User)
	if err != nil {
		b.fail(ctx, rsp, o, "looking you up", err)
		return
	}
	res, err := b.svc.Extend(ctx, requestID, u.ID, d, reason)
	if err != nil {
		b.submitFailed(ctx, rsp, o, err)
		return
	}
	b.routeSubmitted(ctx, rsp, o, res, "")
}
