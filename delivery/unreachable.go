package delivery

import (
	"context"
	"time"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// unreachableTimeout bounds what Unreachable does in the sender's path.
const unreachableTimeout = 10 * time.Second

// Unreachable is what a channel calls when a chat refuses the bot for good
// (the citizen blocked it or left): the case database records it, so every
// later staff action says the citizen cannot be told. The notification
// whose send showed it was queued before, and the officer who acted was
// answered "told": so, the first time the chat is found refusing, the staff
// of each of the citizen's open cases are told now that the citizen did not
// get it (its officer, else its unit's officers, whom services.CanSee lets
// see it; in their private chats, by ticket only).
func (c *Core) Unreachable(channel string) func(chatID string) {
	return func(chatID string) {
		ctx, cancel := context.WithTimeout(context.Background(), unreachableTimeout)
		defer cancel()
		first, err := c.cfg.Cases.MarkUnreachable(ctx, channel, chatID, time.Now())
		if err != nil {
			c.log.Warn("could not record an unreachable chat", "channel", channel, "err", err)
			return
		}
		if !first || c.cfg.Texts == nil || c.cfg.Staff == nil {
			return // known before: its staff were told then
		}
		cases, err := c.cfg.Cases.CitizenCases(ctx, channel, chatID, 50)
		if err != nil {
			c.log.Warn("could not read the cases of an unreachable chat: their staff are not told", "channel", channel, "err", err)
			return
		}
		for _, cs := range cases {
			v := cs.View()
			if !v.Status.Open() {
				continue
			}
			text := c.cfg.Texts.T(locales.DefaultLang, "staff.citizen_unreachable", map[string]string{"ticket": v.Ticket})
			for _, to := range caseOfficers(c.cfg.Staff, v) {
				if err := c.Notify(ctx, to, conversation.Reply{Text: text}); err != nil {
					c.log.Warn("staff not told that a citizen's chat refuses the bot", "ticket", v.Ticket, "err", err)
				}
			}
		}
	}
}

// caseOfficers are the private chats of the officers answering for case c:
// its officer when they may still see it, else every officer of its unit
// who may (services.CanSee).
func caseOfficers(staff *services.Staff, c services.CaseView) []conversation.ChatKey {
	chats := func(o services.Officer) []conversation.ChatKey {
		var out []conversation.ChatKey
		for _, channel := range o.Contacts.Channels() {
			out = append(out, conversation.ChatKey{Channel: channel, ChatID: o.Contacts[channel]})
		}
		return out
	}
	if o, ok := staff.Officer(c.Assignee); ok && c.Assignee != "" && services.CanSee(o, c) {
		if out := chats(o); len(out) > 0 {
			return out
		}
	}
	var out []conversation.ChatKey
	for _, o := range staff.OfUnit(c.Unit) {
		if services.CanSee(o, c) {
			out = append(out, chats(o)...)
		}
	}
	return out
}
