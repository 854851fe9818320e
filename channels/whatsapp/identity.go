package whatsapp

import (
	"context"
	"strings"
	"time"

	"go.mau.fi/whatsmeow/types"

	"github.com/leksono/sapa/services"
)

// One person, one chat id. WhatsApp addresses people by phone number or by
// LID (…@lid, a number that hides the phone), and the same person may
// arrive either way. The bot keys each person by their phone number
// (62…) whenever it is known, from the message itself (SenderAlt) or from
// whatsmeow's map of LIDs to numbers, which whatsmeow fills from messages,
// history syncs and lookups; staff are matched on that number. A person
// whose number is not known (a username that hides it) is keyed "lid:<n>"
// and served fully. When their number becomes known, what was kept under
// "lid:<n>" is merged onto the number (Config.Merge), once per process.

// lidLookupTimeout bounds a look-up in whatsmeow's LID map, which runs in
// the event handler; the map is cached in memory, so it rarely queries
// the database.
const lidLookupTimeout = 2 * time.Second

// maxMerged bounds the LIDs remembered as merged; past it the memory is
// cleared, which only costs a merge that finds nothing.
const maxMerged = 100_000

// identify gives a message the stable chat id of its sender: a "lid:"
// sender whose number is known is given the number, and a merge of the
// LID's records onto it is due when this process has not done it yet.
func (b *Bot) identify(inc *incoming) {
	if inc.lid == "" {
		return
	}
	phone := inc.phone
	if phone == "" {
		phone = b.phoneOf(inc.lid)
	}
	if phone == "" {
		return
	}
	alias := lidPrefix + inc.lid
	if inc.in.SenderID == alias {
		inc.in.SenderID = phone
	}
	if inc.in.Chat.ChatID == alias {
		inc.in.Chat.ChatID = phone
	}
	if inc.chat.Server != types.GroupServer && inc.in.Chat.ChatID == phone && !b.wasMerged(inc.lid) {
		inc.mergeFrom = alias
	}
}

// phoneOf is the phone number (62…) behind a LID, "" when not known: an
// officer's, resolved at connect, or whatsmeow's map.
func (b *Bot) phoneOf(lid string) string {
	b.mu.Lock()
	phone := b.officerLIDs[lid]
	b.mu.Unlock()
	if phone != "" {
		return phone
	}
	l := b.cur.Load()
	if l == nil || l.lids == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), lidLookupTimeout)
	defer cancel()
	pn, err := l.lids.GetPNForLID(ctx, types.NewJID(lid, types.HiddenUserServer))
	if err != nil {
		b.log.Warn("whatsapp LID map not readable; the sender is kept under their LID for now", "err", err)
		return ""
	}
	if pn.User == "" {
		return ""
	}
	return normalizePhone(pn.User)
}

func (b *Bot) wasMerged(lid string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.merged[lid]
}

// merge moves what is kept under inc.mergeFrom onto the message's chat id,
// before the engine reads the chat. A failure is logged and tried again at
// the person's next message; the message is handled either way.
func (b *Bot) merge(ctx context.Context, inc *incoming) {
	if inc.mergeFrom == "" || b.cfg.Merge == nil {
		return
	}
	lid := strings.TrimPrefix(inc.mergeFrom, lidPrefix)
	if b.wasMerged(lid) {
		return
	}
	if err := b.cfg.Merge(ctx, inc.mergeFrom, inc.in.Chat.ChatID); err != nil {
		b.log.Warn("whatsapp: records kept under the sender's LID not merged onto their number yet; trying again at their next message",
			"chat", services.MaskID(inc.in.Chat.ChatID), "err", err)
		return
	}
	b.mu.Lock()
	if len(b.merged) >= maxMerged {
		clear(b.merged)
	}
	b.merged[lid] = true
	b.mu.Unlock()
}

// resolveOfficers learns the LIDs of the officers' numbers once connected,
// so an officer writing from a LID-only account is recognised as staff. A
// failure is logged; whatsmeow's own map may still know them.
func (b *Bot) resolveOfficers(ctx context.Context, l *link) {
	if len(b.contacts) == 0 {
		return
	}
	jids := make([]types.JID, 0, len(b.contacts))
	for phone := range b.contacts {
		jids = append(jids, types.NewJID(phone, types.DefaultUserServer))
	}
	found := map[string]string{}
	if l.lids != nil {
		for _, pn := range jids {
			if lid, err := l.lids.GetLIDForPN(ctx, pn); err == nil && lid.User != "" {
				found[lid.User] = pn.User
			}
		}
	}
	info, err := l.c.GetUserInfo(ctx, jids)
	if err != nil {
		b.log.Warn("whatsapp: officers' LIDs not looked up; an officer writing from a LID-only account may be taken for a citizen until WhatsApp shares the number",
			"officers", len(jids), "err", err)
	}
	for pn, u := range info {
		if u.LID.User != "" {
			found[u.LID.User] = normalizePhone(pn.User)
		}
	}
	b.mu.Lock()
	for lid, phone := range found {
		b.officerLIDs[lid] = phone
	}
	b.mu.Unlock()
	b.log.Debug("whatsapp officers' LIDs known", "officers", len(jids), "lids", len(found))
}
