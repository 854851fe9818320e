package delivery

import (
	"context"
	"time"

	"github.com/leksono/sapa/conversation"
)

// Privacy wraps desk so that consent works from Redis while the case
// database is down, as submission does: a citizen who agrees to the
// privacy notice during an outage goes on with the form at once, and the
// consent, with its time, is written in the case queue's order when the
// database is back. Its other methods are desk's.
func (c *Core) Privacy(desk conversation.PrivacyDesk) conversation.PrivacyDesk {
	return consents{PrivacyDesk: desk, q: c.cases}
}

type consents struct {
	conversation.PrivacyDesk
	q *CaseQueue
}

// RecordConsent records in the database, or while it does not answer in
// the case queue.
func (p consents) RecordConsent(ctx context.Context, channel, chatID, purpose string, at time.Time) error {
	dctx, cancel := context.WithTimeout(ctx, p.q.timeout)
	err := p.PrivacyDesk.RecordConsent(dctx, channel, chatID, purpose, at)
	cancel()
	if err == nil || ctx.Err() != nil || !p.q.down(ctx) {
		return err
	}
	if qerr := p.q.push(ctx, queued{Consent: &queuedConsent{Channel: channel, ChatID: chatID, Purpose: purpose, At: at}}); qerr != nil {
		return qerr
	}
	p.q.log.Warn("database unreachable: consent kept in Redis until it is back", "channel", channel, "err", err)
	return nil
}

// HasConsent asks the database. While it does not answer, the consent is
// taken as not given: the notice is shown again, which is harmless (the
// first time given is the one kept), and the form goes on from Redis.
func (p consents) HasConsent(ctx context.Context, channel, chatID, purpose string) (bool, error) {
	dctx, cancel := context.WithTimeout(ctx, p.q.timeout)
	ok, err := p.PrivacyDesk.HasConsent(dctx, channel, chatID, purpose)
	cancel()
	if err == nil || ctx.Err() != nil || !p.q.down(ctx) {
		return ok, err
	}
	p.q.log.Debug("database unreachable: consent asked again", "channel", channel, "err", err)
	return false, nil
}
