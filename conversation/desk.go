package conversation

import (
	"context"
	"time"

	"github.com/leksono/sapa/services"
)

// ErrNoCase is what a CaseDesk returns for a ticket that does not exist, or
// that belongs to another citizen: the two must be indistinguishable. It
// is services.ErrNoCase, which staff actions return too.
var ErrNoCase = services.ErrNoCase

// CaseDesk is what staff follow-up and the citizen's status check need from
// case storage. Every method records its step in the case's history in the
// same transaction as the change.
type CaseDesk interface {
	ChangeStatus(ctx context.Context, c services.StatusChange) (services.CaseView, error)
	Assign(ctx context.Context, ticket, assignee, actor string, at time.Time) (services.CaseView, error)
	AddEvent(ctx context.Context, ticket, kind, actor, note string, at time.Time) (services.CaseView, error)
	Case(ctx context.Context, ticket string) (services.CaseView, []services.Event, error)
	OpenCases(ctx context.Context, f services.CaseFilter) ([]services.CaseView, error)
	CitizenCases(ctx context.Context, channel, chatID string, limit int) ([]services.CaseView, error)
	CitizenCase(ctx context.Context, ticket, channel, chatID string) (services.CaseView, []services.Event, error)
	// CitizenLang is the language a citizen chose, "" when none; SetCitizenLang stores it.
	CitizenLang(ctx context.Context, channel, chatID string) (string, error)
	SetCitizenLang(ctx context.Context, channel, chatID, lang string) error
}

// Notifier delivers a message to a chat other than the one being answered:
// staff notifications, and a citizen's updates when staff act on their case.
// Implementations pace and retry; Notify only queues or sends.
type Notifier interface {
	Notify(ctx context.Context, to ChatKey, r Reply) error
}

// OnceGuard lets a periodic job run once across every bot process.
type OnceGuard interface {
	// Once reports true to exactly one caller per key within ttl.
	Once(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// outgoing is a notification gathered during a turn, sent after the turn's
// state was committed so a duplicate delivery never notifies twice.
type outgoing struct {
	to    ChatKey
	reply Reply
}

// notifyAll sends the turn's notifications. A failed one is logged, never
// the citizen's problem: the case and its history are already stored.
func (e *Engine) notifyAll(ctx context.Context, out []outgoing) {
	for _, o := range out {
		if err := e.notifier.Notify(ctx, o.to, o.reply); err != nil {
			e.log.Warn("notification not delivered", "channel", o.to.Channel, "chat", services.MaskID(o.to.ChatID), "err", err)
		}
	}
}

// unitTargets are the chats that receive a unit's notifications: its
// group chats when it has any, else each active officer of the unit.
func (e *Engine) unitTargets(unit string) []ChatKey {
	if groups := e.staff.UnitGroups[unit]; len(groups) > 0 {
		return chatsOf(groups)
	}
	var out []ChatKey
	for _, o := range e.staff.OfUnit(unit) {
		out = append(out, officerChats(o)...)
	}
	if len(out) == 0 {
		// Once per unit and process: the configuration will not change
		// until a restart, and a warning per case would bury the log.
		if _, warned := e.unreachableUnits.LoadOrStore(unit, true); !warned {
			e.log.Warn("unit has nobody to notify: give an officer of the unit an address, or the unit a group, in configs/staff.yaml", "unit", unit)
		}
	}
	return out
}

// officerChats are the private chats an officer is reachable in.
func officerChats(o services.Officer) []ChatKey {
	return chatsOf(o.Contacts)
}

// chatsOf are the chats of a set of addresses, one per channel, in the
// same order every time. The engine names no channel: it passes on the
// ones staff.yaml gave.
func chatsOf(c services.Contacts) []ChatKey {
	out := make([]ChatKey, 0, len(c))
	for _, channel := range c.Channels() {
		if c[channel] != "" {
			out = append(out, ChatKey{Channel: channel, ChatID: c[channel]})
		}
	}
	return out
}

// noNotifier drops notifications; used when the engine runs without staff.
type noNotifier struct{}

func (noNotifier) Notify(context.Context, ChatKey, Reply) error { return nil }
