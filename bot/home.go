package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/steward-dev/steward/approvals"
)

const (
	actHomeRefresh  = "home_refresh"
	actRecertKeep   = "recert_keep"
	actRecertRevoke = "recert_revoke"
	actRecAccept    = "recommendation_accept"
	actRecDismiss   = "recommendation_dismiss"
)

// handleHomeOpened publishes the App Home when someone opens it.
func (b *Bot) handleHomeOpened(ctx context.Context, rsp responder, slackUser, key string) {
	if !b.claim(ctx, "evt:"+key) {
		return
	}
	b.publishHome(ctx, rsp, slackUser)
}

// publishHome renders the App Home: my pending requests, my active access
// with time left and Revoke, requests waiting for me, and for governance
// approvers the open recommendations.
func (b *Bot) publishHome(ctx context.Context, rsp responder, slackUser string) {
	view := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: b.homeBlocks(ctx, rsp, slackUser)}}
	if err := rsp.publishHome(ctx, slackUser, view); err != nil {
		b.metrics.Errors.WithLabelValues("home").Inc()
		b.log.Error("publishing App Home", "user", slackUser, "err", err)
	}
}

func (b *Bot) homeBlocks(ctx context.Context, rsp responder, slackUser string) []slack.Block {
	u, err := b.identify(ctx, rsp, slackUser)
	if err != nil {
		return []slack.Block{header("Steward"), section(esc(err.Error()))}
	}
	now := b.now()
	bl := []slack.Block{header("Steward: your data access"),
		contextText(fmt.Sprintf("Signed in as %s · updated %s", esc(u.Name), when(now))),
		actions("home_actions", button(actHomeRefresh, "Refresh", "refresh", ""))}
	budget := func(n int) bool { return len(bl)+n < maxViewBlocks-8 }

	// My pending requests.
	mine, err := b.store.ListRequests(ctx, approvals.RequestFilter{Requester: u.ID, State: approvals.StatePending, Limit: 20})
	bl = append(bl, slack.NewDividerBlock(), section("*Your pending requests*"))
	switch {
	case err != nil:
		bl = append(bl, contextText("Couldn't load: "+esc(err.Error())))
	case len(mine) == 0:
		bl = append(bl, contextText("None. Ask for data with `/access`."))
	}
	for i, r := range mine {
		if i == 8 || !budget(1) {
			bl = append(bl, contextText(fmt.Sprintf("_and %d more_", len(mine)-i)))
			break
		}
		s := sectionID("pending_"+r.ID, fmt.Sprintf("`%s` %s %s for %s · %d of %d approvals · asked %s",
			esc(shortID(r.ID)), r.Action, b.assetList(r.Assets, 3), humanDuration(r.Duration), countApprovals(r), max(r.RequiredApprovals, 1), when(r.CreatedAt)))
		s.Accessory = slack.NewAccessory(button(actCancel, "Cancel", r.ID, ""))
		bl = append(bl, s)
	}

	// My active access, grouped by request.
	grants, err := b.store.ListGrants(ctx, approvals.GrantFilter{User: u.ID, State: approvals.GrantActive})
	bl = append(bl, slack.NewDividerBlock(), section("*Your active access*"))
	switch {
	case err != nil:
		bl = append(bl, contextText("Couldn't load: "+esc(err.Error())))
	case len(grants) == 0:
		bl = append(bl, contextText("No temporary access right now (policies may still give you access; `/policy explain` shows why)."))
	}
	byReq := map[string][]approvals.Grant{}
	var order []string
	for _, g := range grants {
		if _, ok := byReq[g.RequestID]; !ok {
			order = append(order, g.RequestID)
		}
		byReq[g.RequestID] = append(byReq[g.RequestID], g)
	}
	for i, id := range order {
		if i == 10 || !budget(1) {
			bl = append(bl, contextText(fmt.Sprintf("_and %d more_", len(order)-i)))
			break
		}
		gs := byReq[id]
		var assets []string
		for _, g := range gs {
			assets = append(assets, g.Asset)
		}
		s := sectionID("grant_"+id, fmt.Sprintf("%s %s · %s", gs[0].Action, b.assetList(assets, 3), left(now, gs[0].ExpiresAt)))
		s.Accessory = slack.NewAccessory(button(actRevoke, "Revoke", id, "danger"))
		bl = append(bl, s)
	}

	// Waiting for me.
	waiting, err := b.store.ListRequests(ctx, approvals.RequestFilter{Approver: u.ID, State: approvals.StatePending, Limit: 20})
	bl = append(bl, slack.NewDividerBlock(), section("*Waiting for your decision*"))
	var decidable []approvals.Request
	for _, r := range waiting {
		if r.Requester != u.ID {
			decidable = append(decidable, r)
		}
	}
	switch {
	case err != nil:
		bl = append(bl, contextText("Couldn't load: "+esc(err.Error())))
	case len(decidable) == 0:
		bl = append(bl, contextText("Nothing waiting for you."))
	}
	for i, r := range decidable {
		if i == 8 || !budget(2) {
			bl = append(bl, contextText(fmt.Sprintf("_and %d more_", len(decidable)-i)))
			break
		}
		bl = append(bl, section(fmt.Sprintf("%s wants %s %s for %s: _%s_", b.mention(r.Requester), r.Action, b.assetList(r.Assets, 3),
			humanDuration(r.Duration), esc(clamp(r.Reason, 200)))),
			actions("decide_"+r.ID, button(actApprove, "Approve", r.ID, "primary"), button(actDeny, "Deny", r.ID, "danger")))
	}

	// Recertifications assigned to me, and for governance the escalated ones.
	items, err := b.store.ListRecerts(ctx, approvals.RecertFilter{Approver: u.ID, State: approvals.RecertOpen})
	if err == nil && b.svc.IsGovernance(u.ID) {
		if escalated, err := b.store.ListRecerts(ctx, approvals.RecertFilter{State: approvals.RecertEscalated}); err == nil {
			seen := map[string]bool{}
			for _, it := range escalated {
				if !seen[it.GrantID] {
					seen[it.GrantID] = true
					items = append(items, it)
				}
			}
		}
	}
	if len(items) > 0 {
		bl = append(bl, slack.NewDividerBlock(), section("*Access to recertify*"))
		for i, it := range items {
			if i == 5 || !budget(2) {
				bl = append(bl, contextText(fmt.Sprintf("_and %d more_", len(items)-i)))
				break
			}
			bl = append(bl, b.recertBlocks(ctx, it)...)
		}
	}

	if b.svc.IsGovernance(u.ID) {
		recs, err := b.store.ListRecommendations(ctx, approvals.RecommendationOpen)
		bl = append(bl, slack.NewDividerBlock(), section("*Recommended policies* (from past decisions)"))
		switch {
		case err != nil:
			bl = append(bl, contextText("Couldn't load: "+esc(err.Error())))
		case len(recs) == 0:
			bl = append(bl, contextText("No open recommendations."))
		}
		for i, rec := range recs {
			if i == 5 || !budget(2) {
				bl = append(bl, contextText(fmt.Sprintf("_and %d more_", len(recs)-i)))
				break
			}
			bl = append(bl, recommendationBlocks(rec)...)
		}
	}
	return enforceLimits(bl, maxViewBlocks)
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func (b *Bot) recertBlocks(ctx context.Context, it approvals.RecertItem) []slack.Block {
	desc := "grant `" + esc(it.GrantID) + "`"
	if g, err := b.svc.Grant(ctx, it.GrantID); err == nil {
		desc = fmt.Sprintf("%s's %s access to `%s` (since %s)", b.mention(g.User), g.Action, esc(g.Asset), when(g.GrantedAt))
	}
	deadline := "Answer by " + when(it.DueAt) + "."
	if it.State == approvals.RecertEscalated {
		deadline = fmt.Sprintf("Escalated: %s did not answer by %s, so the governance group decides.", b.mention(it.Approver), when(it.DueAt))
	}
	return []slack.Block{
		section(fmt.Sprintf("Should %s stay? Recommendation: *%s*. %s\n%s", desc, esc(it.Recommendation), esc(clamp(it.Why, 500)), deadline)),
		actions("recert_"+it.ID, button(actRecertKeep, "Keep", it.ID, "primary"), button(actRecertRevoke, "Revoke", it.ID, "danger")),
	}
}

// sendRecert puts a new review item before whoever decides it: its approver
// by DM, or, once escalated, the governance group (the approvals channel,
// else each member by DM).
func (b *Bot) sendRecert(ctx context.Context, rsp responder, it approvals.RecertItem) {
	title := "Access review"
	if it.State == approvals.RecertEscalated {
		title = "Access review (escalated)"
	}
	msg := fitMessage(message{Text: title, Blocks: append([]slack.Block{header(title)}, b.recertBlocks(ctx, it)...)})
	to := []string{it.Approver}
	if it.State == approvals.RecertEscalated {
		if b.cfg.ApprovalsChannel != "" {
			if _, err := rsp.Post(ctx, b.cfg.ApprovalsChannel, msg); err != nil {
				b.log.Error("posting escalated recertification", "item", it.ID, "err", err)
			}
			return
		}
		to = b.governanceMembers()
	}
	for _, id := range to {
		sid := b.slackIDOf(ctx, rsp, id)
		if sid == "" {
			continue
		}
		if _, err := rsp.DM(ctx, sid, msg); err != nil {
			b.log.Error("sending recertification", "item", it.ID, "to", id, "err", err)
		}
	}
}

// governanceMembers are the catalog users in the governance group.
func (b *Bot) governanceMembers() []string {
	var out []string
	for _, u := range b.catalog().Users {
		if b.svc.IsGovernance(u.ID) {
			out = append(out, u.ID)
		}
	}
	return out
}

func recommendationBlocks(rec approvals.Recommendation) []slack.Block {
	p := rec.Policy
	return []slack.Block{
		section(fmt.Sprintf("*Allow %s* of %s by %s\nSupport: %s · confidence %.0f%%\n_%s_",
			p.Action, objectsText(p.Objects), subjectsText(p.Subjects), plural(len(rec.Support), "approved request"),
			rec.Confidence*100, esc(clamp(rec.Why, 500)))),
		actions("rec_"+rec.ID, button(actRecAccept, "Accept as policy", rec.ID, "primary"), button(actRecDismiss, "Dismiss", rec.ID, "")),
	}
}

func (b *Bot) onRecert(ctx context.Context, rsp responder, a Action) {
	u, err := b.identify(ctx, rsp, a.User)
	if err != nil {
		b.fail(ctx, rsp, a.Origin, "looking you up", err)
		return
	}
	keep := a.ActionID == actRecertKeep
	it, err := b.svc.DecideRecert(ctx, a.Value, u.ID, keep)
	if err != nil {
		b.refuse(ctx, rsp, a.Origin, "Couldn't record that: "+esc(err.Error())+". Nothing was changed.")
		return
	}
	if !keep {
		b.trigger()
		// As after a revoke from the approval card: the card shows it and the
		// holder is told.
		if g, err := b.svc.Grant(ctx, it.GrantID); err == nil {
			if r, err := b.store.GetRequest(ctx, g.RequestID); err == nil {
				b.refreshCards(ctx, rsp, r)
			}
			if sid := b.slackIDOf(ctx, rsp, g.User); sid != "" {
				_, _ = rsp.DM(ctx, sid, textMessage(fmt.Sprintf(":no_entry_sign: Your %s access to `%s` was *revoked* at access review by %s.",
					g.Action, esc(g.Asset), b.mention(u.ID))))
			}
		}
	}
	verb := "kept"
	if !keep {
		verb = "revoked"
	}
	msg := textMessage(fmt.Sprintf(":white_check_mark: Grant `%s` %s by <@%s> at %s.", esc(it.GrantID), verb, a.User, when(b.now())))
	msg.ReplaceOriginal = true
	if a.ResponseURL != "" && a.Channel != "" {
		b.reply(ctx, rsp, a.Origin, msg)
	}
	b.publishHome(ctx, rsp, a.User)
}

func (b *Bot) onRecommendation(ctx context.Context, rsp responder, a Action) {
	u, ok := b.requireGovernance(ctx, rsp, a.Origin)
	if !ok {
		return
	}
	var text string
	if a.ActionID == actRecAccept {
		p, err := b.svc.AcceptRecommendation(ctx, a.Value, u.ID)
		if err != nil {
			b.refuse(ctx, rsp, a.Origin, "Couldn't accept: "+esc(err.Error())+". Nothing was changed.")
			return
		}
		b.trigger()
		text = fmt.Sprintf(":white_check_mark: Recommendation accepted as policy `%s` v%d by <@%s> at %s.", esc(p.ID), p.Version, a.User, when(b.now()))
	} else {
		if err := b.svc.DismissRecommendation(ctx, a.Value, u.ID); err != nil {
			b.refuse(ctx, rsp, a.Origin, "Couldn't dismiss: "+esc(err.Error())+". Nothing was changed.")
			return
		}
		text = fmt.Sprintf("Recommendation dismissed by <@%s> at %s.", a.User, when(b.now()))
	}
	if a.Channel != "" && a.ResponseURL != "" {
		msg := textMessage(text)
		msg.ReplaceOriginal = true
		b.reply(ctx, rsp, a.Origin, msg)
	}
	b.publishHome(ctx, rsp, a.User)
}

// tick does the periodic work: expire what is due, send reminders with an
// Extend button, open recertifications, post new recommendations, purge
// expired claims, and ask the reconciler for a pass. Every step is
// once-only across replicas (the service uses store compare-and-set), so
// each replica may call it.
func (b *Bot) tick(ctx context.Context, rsp responder) {
	if ctx.Err() != nil {
		return
	}
	now := b.now()
	expired, err := b.svc.ExpireDue(ctx, now)
	if err != nil && ctx.Err() == nil {
		b.log.Error("expiring grants", "err", err)
	}
	done := map[string]bool{}
	for _, g := range expired {
		if done[g.RequestID] {
			continue
		}
		done[g.RequestID] = true
		if r, err := b.store.GetRequest(ctx, g.RequestID); err == nil {
			b.refreshCards(ctx, rsp, r)
			if sid := b.slackIDOf(ctx, rsp, g.User); sid != "" {
				_, _ = rsp.DM(ctx, sid, textMessage(fmt.Sprintf(":hourglass_flowing_sand: Your %s access to %s from request `%s` has ended.",
					g.Action, b.assetList(r.Assets, 5), esc(r.ID))))
			}
		}
	}
	reminders, err := b.svc.DueReminders(ctx, now)
	if err != nil && ctx.Err() == nil {
		b.log.Error("finding reminders", "err", err)
	}
	for _, rm := range reminders {
		sid := b.slackIDOf(ctx, rsp, rm.Grant.User)
		if sid == "" {
			continue
		}
		text := fmt.Sprintf(":alarm_clock: Your %s access to `%s` ends %s (%s).", rm.Grant.Action, esc(rm.Grant.Asset), when(rm.Grant.ExpiresAt), left(now, rm.Grant.ExpiresAt))
		msg := message{Text: text, Blocks: []slack.Block{section(text),
			actions("reminder_"+rm.Grant.ID, button(actExtend, "Ask to extend", rm.Grant.RequestID, "primary"))}}
		if _, err := rsp.DM(ctx, sid, fitMessage(msg)); err != nil {
			b.log.Error("sending reminder", "grant", rm.Grant.ID, "err", err)
		}
	}
	items, err := b.svc.Recertify(ctx, now)
	if err != nil && ctx.Err() == nil {
		b.log.Error("recertifying", "err", err)
	}
	escalated := map[string]bool{} // by grant: its items escalate together
	for _, it := range items {
		if it.State == approvals.RecertEscalated {
			if escalated[it.GrantID] {
				continue
			}
			escalated[it.GrantID] = true
		}
		b.sendRecert(ctx, rsp, it)
	}
	// Hourly: purge expired claims (event, click and reminder dedupe keys,
	// which hold nothing once expired) and mine recommendations, which
	// change slowly.
	if last := b.lastRec.Load(); now.Unix()-last >= int64(time.Hour/time.Second) {
		b.lastRec.Store(now.Unix())
		if n, err := b.store.PurgeClaims(ctx, now); err != nil && ctx.Err() == nil {
			b.log.Error("purging expired claims", "err", err)
		} else if n > 0 {
			b.log.Info("purged expired claims", "count", n)
		}
		recs, err := b.svc.Recommend(ctx)
		if err != nil && ctx.Err() == nil {
			b.log.Error("mining recommendations", "err", err)
		}
		if len(recs) > 0 && b.cfg.ApprovalsChannel != "" {
			bl := []slack.Block{header("New policy recommendations")}
			for _, rec := range recs {
				bl = append(bl, recommendationBlocks(rec)...)
			}
			if _, err := rsp.Post(ctx, b.cfg.ApprovalsChannel, fitMessage(message{Text: "New policy recommendations", Blocks: bl})); err != nil {
				b.log.Error("posting recommendations", "err", err)
			}
		}
	}
	b.trigger()
}

// RunTicker does the periodic work (expiry, reminders with Extend,
// recertification, recommendations, a reconcile) every interval until ctx
// ends, answering through the Web API with the bot token and the tokens of
// the workspaces that installed the app (see workspacesResponder).
func (b *Bot) RunTicker(ctx context.Context, every time.Duration, botToken, apiURL string) {
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	rsp := newWorkspacesResponder(b.store, botToken, apiURL, nil)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		b.tick(ctx, rsp)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
