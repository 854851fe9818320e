package pgstore

import (
	"context"
	"fmt"

	"github.com/leksono/sapa/services"
)

// LastRequest returns the newest request (not a complaint) of the chat's
// citizen that was not rejected, its form revealed, for the next form to
// offer the answers about the citizen again. It fails with ErrNotFound
// when there is none: a request filed before the chat asked to be erased
// is never offered, whether staff completed the erasure yet or not, nor
// while an open case of theirs is kept until it is finished. One
// statement: the erasure check is part of the query.
func (s *Store) LastRequest(ctx context.Context, channel, chatID string) (Case, error) {
	db := s.db.WithContext(ctx)
	var c Case
	res := db.Where("citizen_id IN (?) AND kind = ? AND status <> ?",
		citizenIDQuery(db, channel, chatID), services.KindRequest, services.StatusRejected).
		Where("NOT EXISTS (SELECT 1 FROM deletion_requests d WHERE d.channel = ? AND d.chat_id = ? AND d.requested_at >= cases.created_at)", channel, chatID).
		Order("created_at DESC, id DESC").Limit(1).Find(&c)
	if res.Error != nil {
		return Case{}, fmt.Errorf("last request of a %s chat: %w", channel, res.Error)
	}
	if res.RowsAffected == 0 {
		return Case{}, fmt.Errorf("last request of a %s chat: %w", channel, ErrNotFound)
	}
	s.localizeCase(&c)
	if err := s.reveal(&c); err != nil {
		return Case{}, fmt.Errorf("last request of a %s chat: %w", channel, err)
	}
	return c, nil
}

// LastRequest implements conversation.PastRequests.
func (d Desk) LastRequest(ctx context.Context, channel, chatID string) (services.CaseView, error) {
	c, err := d.s.LastRequest(ctx, channel, chatID)
	if err != nil {
		return services.CaseView{}, noCase(err)
	}
	v := view(c)
	// With its files: its KTP and KK photos may be offered again.
	if v.Attachments, err = d.s.Attachments(ctx, c.Ticket); err != nil {
		return services.CaseView{}, noCase(err)
	}
	return v, nil
}
