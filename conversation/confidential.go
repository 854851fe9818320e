package conversation

import (
	"slices"

	"github.com/leksono/sapa/services"
)

// tellUnit addresses news of case c that carries what the citizen wrote
// (text, files) to its unit, when no particular officer is to be told.
//
// The one visibility rule decides who reads a rahasia complaint: each
// active officer of the unit whom services.CanSee lets see it is told in
// their private chat. Who is in a unit's group chat is not in staff.yaml (a
// former officer, a village clerk, anyone once added), so a group is told
// only that the case has news, by its ticket, never what it says. Other
// cases go to the unit's groups, or its officers, as before.
func (e *Engine) tellUnit(c services.CaseView, content Reply) []outgoing {
	if c.Confidentiality != services.ConfidentialSecret {
		return e.toUnit(c.Unit, content)
	}
	var out []outgoing
	for _, o := range e.staff.OfUnit(c.Unit) {
		if !services.CanSee(o, c) {
			continue
		}
		for _, to := range officerChats(o) {
			out = append(out, outgoing{to: to, reply: content})
		}
	}
	notice := Reply{Text: e.texts.T(e.staffLang(), "staff.secret_notice", map[string]string{"ticket": c.Ticket})}
	for _, to := range chatsOf(e.staff.UnitGroups[c.Unit]) {
		out = append(out, outgoing{to: to, reply: notice})
	}
	return out
}

// toUnit addresses r to the unit's chats (unitTargets). A group chat is
// not sent the documents of a requirement: a KTP's or KK's photo shows the
// whole NIK, which the text only masks, and who reads a group is not in
// staff.yaml. The officers open them from the case (lihat, the console).
func (e *Engine) toUnit(unit string, r Reply) []outgoing {
	if len(e.staff.UnitGroups[unit]) > 0 {
		r.Files = slices.DeleteFunc(slices.Clone(r.Files), func(f services.StoredFile) bool { return f.Requirement != "" })
	}
	return e.toAllReply(e.unitTargets(unit), r)
}

// toAllReply addresses one reply to several chats.
func (e *Engine) toAllReply(chats []ChatKey, r Reply) []outgoing {
	out := make([]outgoing, 0, len(chats))
	for _, c := range chats {
		out = append(out, outgoing{to: c, reply: r})
	}
	return out
}
