package delivery

import (
	"context"
	"errors"
	"fmt"

	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/services"
)

// MergeChat moves what is kept of a person under the chat id from to the
// chat id to, on channel: their conversation state in Redis (the newer of
// the two wins) and their citizen record with every case, consent and
// erasure request in the database. A channel calls it when it learns that
// two ids are one person (WhatsApp: a LID, then the phone number behind
// it). Both steps run even when one fails, and both are no-ops when
// nothing is kept under from, so calling it again is safe.
func (c *Core) MergeChat(ctx context.Context, channel, from, to string) error {
	var errs []error
	moved, err := c.cfg.States.MoveChat(ctx,
		conversation.ChatKey{Channel: channel, ChatID: from}, conversation.ChatKey{Channel: channel, ChatID: to})
	if err != nil {
		errs = append(errs, err)
	}
	cases, err := c.cfg.Cases.MergeCitizen(ctx, channel, from, to)
	if err != nil {
		errs = append(errs, err)
	}
	if moved || cases > 0 {
		c.log.Info("one person's two chat ids merged", "channel", channel,
			"from", services.MaskID(from), "to", services.MaskID(to), "state_moved", moved, "cases_moved", cases)
	}
	if len(errs) > 0 {
		return fmt.Errorf("merge %s chat %s into %s: %w", channel, services.MaskID(from), services.MaskID(to), errors.Join(errs...))
	}
	return nil
}
