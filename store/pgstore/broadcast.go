package pgstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/leksono/sapa/consultation"
)

// BroadcastMessage is one message of a broadcast (an announcement, a
// consultation's result, the office's response) to one chat: the durable
// outbox that lets a broadcast of hours resume after a restart and reach
// each chat once. Its unique index refuses a second message of one
// broadcast to one chat.
type BroadcastMessage struct {
	ID      int64  `gorm:"primaryKey"`
	Key     string `gorm:"size:80;not null;uniqueIndex:idx_broadcast_messages_recipient,priority:1"`
	Kind    string `gorm:"size:16;not null"`
	Channel string `gorm:"size:32;not null;uniqueIndex:idx_broadcast_messages_recipient,priority:2;index:idx_broadcast_messages_due,priority:1"`
	ChatID  string `gorm:"size:128;not null;uniqueIndex:idx_broadcast_messages_recipient,priority:3"`
	Text    string `gorm:"not null"`
	// Status is BroadcastPending, BroadcastClaimed (taken by the sender,
	// not yet handed over), BroadcastSending (handed to the channel, not
	// yet confirmed) or BroadcastSent.
	Status string `gorm:"size:16;not null;index:idx_broadcast_messages_due,priority:2"`
	// NotBefore holds an announcement back to the next day when the chat
	// had one already that day.
	NotBefore time.Time `gorm:"not null;index:idx_broadcast_messages_due,priority:3"`
	QueuedAt  time.Time `gorm:"not null"`
	SentAt    *time.Time
}

// The statuses of a broadcast message. A message handed to the channel
// stays BroadcastSending when the process stops before the channel
// confirms it: it may have gone out, so it is never handed over again
// (a citizen never gets one twice; the progress figure shows it unsent).
// A claimed message was not handed over yet: the next sender puts it
// back (RequeueClaimed).
const (
	BroadcastPending = "pending"
	BroadcastClaimed = "claimed"
	BroadcastSending = "sending"
	BroadcastSent    = "sent"
)

// BroadcastKindAnnouncement is the kind capped at one a day per chat.
const BroadcastKindAnnouncement = consultation.KindAnnouncement

// broadcastHour is when, office time, an announcement held back to the
// next day is sent: not at midnight.
const broadcastHour = 8

// Outgoing is one broadcast message to queue.
type Outgoing = consultation.Outgoing

// EnqueueBroadcast queues the messages of the broadcast key, of kind, at
// at. Queuing the same broadcast again adds nothing (a command run twice,
// a restart in the middle of queuing). An announcement to a chat that
// already has one queued for that day waits for the next day, from
// broadcastHour, so nobody gets more than one a day. It returns how many
// messages it added.
func (s *Store) EnqueueBroadcast(ctx context.Context, key, kind string, msgs []Outgoing, at time.Time) (int, error) {
	if len(msgs) == 0 {
		return 0, nil
	}
	added := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		busy := map[Recipient]time.Time{} // last announcement day queued, per chat
		if kind == BroadcastKindAnnouncement {
			// Only the last two days can hold a chat back: max() is
			// computed here, as SQLite returns it as text.
			var rows []struct {
				Channel, ChatID string
				NotBefore       time.Time
			}
			err := tx.Model(&BroadcastMessage{}).Select("channel, chat_id, not_before").
				Where("kind = ? AND not_before > ?", BroadcastKindAnnouncement, dbTime(at.Add(-48*time.Hour))).Scan(&rows).Error
			if err != nil {
				return fmt.Errorf("read the announcements queued: %w", err)
			}
			for _, r := range rows {
				k := Recipient{Channel: r.Channel, ChatID: r.ChatID}
				if r.NotBefore.After(busy[k]) {
					busy[k] = r.NotBefore
				}
			}
		}
		rows := make([]BroadcastMessage, 0, len(msgs))
		for _, m := range msgs {
			notBefore := at
			if last, ok := busy[m.Recipient]; ok {
				if next := s.nextDay(last); next.After(notBefore) {
					notBefore = next
				}
			}
			rows = append(rows, BroadcastMessage{
				Key: key, Kind: kind, Channel: m.Channel, ChatID: m.ChatID, Text: m.Text, Status: BroadcastPending,
				NotBefore: dbTime(notBefore), QueuedAt: dbTime(at),
			})
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 200)
		if res.Error != nil {
			return res.Error
		}
		added = int(res.RowsAffected)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("queue broadcast %s: %w", key, err)
	}
	return added, nil
}

// nextDay is broadcastHour, office time, on the day after t's.
func (s *Store) nextDay(t time.Time) time.Time {
	l := t.In(s.loc)
	return time.Date(l.Year(), l.Month(), l.Day()+1, broadcastHour, 0, 0, 0, s.loc)
}

// ClaimBroadcast takes up to limit pending messages of channel due at now,
// oldest first, and marks them BroadcastClaimed: from then on they are
// this caller's to hand over (HandBroadcast), once. One process at a time
// should claim a channel's messages (the channel's lease).
func (s *Store) ClaimBroadcast(ctx context.Context, channel string, now time.Time, limit int) ([]BroadcastMessage, error) {
	var out []BroadcastMessage
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var due []BroadcastMessage
		err := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
			Where("channel = ? AND status = ? AND not_before <= ?", channel, BroadcastPending, dbTime(now)).
			Order("id").Limit(limit).Find(&due).Error
		if err != nil {
			return err
		}
		if len(due) == 0 {
			return nil
		}
		ids := make([]int64, len(due))
		for i, m := range due {
			ids[i] = m.ID
		}
		// The rows are locked (SQLite: the one writer), so a second
		// claimer, which the lease should prevent anyway, waits and then
		// finds them taken: one statement claims the whole batch.
		err = tx.Model(&BroadcastMessage{}).Where("id IN ? AND status = ?", ids, BroadcastPending).
			Update("status", BroadcastClaimed).Error
		if err != nil {
			return err
		}
		for _, m := range due {
			m.Status = BroadcastClaimed
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim broadcast messages of %s: %w", channel, err)
	}
	return out, nil
}

// HandBroadcast records that a claimed message is being handed to the
// channel: from now on it may go out, and it is never handed over again.
func (s *Store) HandBroadcast(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Model(&BroadcastMessage{}).Where("id = ? AND status = ?", id, BroadcastClaimed).
		Update("status", BroadcastSending)
	if res.Error != nil {
		return fmt.Errorf("hand broadcast message %d over: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("hand broadcast message %d over: it is not claimed", id)
	}
	return nil
}

// RequeueClaimed puts back the messages of channel a stopped sender
// claimed and never handed over. Call it before claiming, holding the
// channel's lease.
func (s *Store) RequeueClaimed(ctx context.Context, channel string) (int, error) {
	res := s.db.WithContext(ctx).Model(&BroadcastMessage{}).Where("channel = ? AND status = ?", channel, BroadcastClaimed).
		Update("status", BroadcastPending)
	if res.Error != nil {
		return 0, fmt.Errorf("requeue the claimed broadcast messages of %s: %w", channel, res.Error)
	}
	return int(res.RowsAffected), nil
}

// MarkBroadcastSent records that the channel sent (or gave up on) a
// claimed message.
func (s *Store) MarkBroadcastSent(ctx context.Context, id int64, at time.Time) error {
	t := dbTime(at)
	err := s.db.WithContext(ctx).Model(&BroadcastMessage{}).Where("id = ?", id).
		Updates(map[string]any{"status": BroadcastSent, "sent_at": t}).Error
	if err != nil {
		return fmt.Errorf("mark broadcast message %d sent: %w", id, err)
	}
	return nil
}

// ReleaseBroadcast puts a claimed message back: one not handed over, or
// one the channel refused before sending anything (it did not take it).
func (s *Store) ReleaseBroadcast(ctx context.Context, id int64) error {
	err := s.db.WithContext(ctx).Model(&BroadcastMessage{}).Where("id = ? AND status IN ?", id, []string{BroadcastClaimed, BroadcastSending}).
		Update("status", BroadcastPending).Error
	if err != nil {
		return fmt.Errorf("release broadcast message %d: %w", id, err)
	}
	return nil
}

// BroadcastProgress counts the messages of a broadcast sent, and in all
// (0 of 0 for a broadcast that had nobody to go to).
func (s *Store) BroadcastProgress(ctx context.Context, key string) (sent, total int, err error) {
	var rows []struct {
		Status string
		N      int
	}
	err = s.db.WithContext(ctx).Model(&BroadcastMessage{}).Select("status, count(*) AS n").
		Where("key = ?", key).Group("status").Scan(&rows).Error
	if err != nil {
		return 0, 0, fmt.Errorf("progress of broadcast %s: %w", key, err)
	}
	for _, r := range rows {
		total += r.N
		if r.Status == BroadcastSent {
			sent += r.N
		}
	}
	return sent, total, nil
}
