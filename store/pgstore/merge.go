package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// MergeCitizen makes the citizen known on channel by the chat id from one
// with the citizen known by to: one person whom the channel first knew
// under another id (a WhatsApp LID before their phone number was known).
// Afterwards to has every case and its history, the first consent to each
// purpose and the open data-erasure requests of both, and from names no
// citizen. When to was unknown the citizen row is renamed; otherwise from's
// cases move to to's row, which keeps its name unless it had none, and the
// language chosen last. It is one transaction, and a no-op when from is
// unknown. It returns how many cases moved.
func (s *Store) MergeCitizen(ctx context.Context, channel, from, to string) (int, error) {
	if channel == "" || from == "" || to == "" || from == to {
		return 0, errors.New("merge citizen: a channel and two different chat ids are needed")
	}
	moved := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var src, dst Citizen
		found, err := findCitizen(tx, channel, from, &src)
		if err != nil || !found {
			if err == nil {
				err = s.mergeChatData(tx, channel, from, to)
			}
			return err
		}
		hasDst, err := findCitizen(tx, channel, to, &dst)
		if err != nil {
			return err
		}
		now := dbTime(time.Now())
		if !hasDst {
			res := tx.Model(&Citizen{}).Where("id = ?", src.ID).
				Updates(map[string]any{"external_id": to, "updated_at": now})
			if res.Error != nil {
				return fmt.Errorf("rename citizen: %w", res.Error)
			}
			n, err := countCases(tx, src.ID)
			moved = n
			if err != nil {
				return err
			}
			return s.mergeChatData(tx, channel, from, to)
		}
		res := tx.Model(&Case{}).Where("citizen_id = ?", src.ID).Update("citizen_id", dst.ID)
		if res.Error != nil {
			return fmt.Errorf("move cases: %w", res.Error)
		}
		moved = int(res.RowsAffected)
		keep := map[string]any{"updated_at": now}
		if dst.Name == "" && src.Name != "" {
			keep["name"] = src.Name
		}
		if src.UpdatedAt.After(dst.UpdatedAt) {
			keep["lang"] = src.Lang
		}
		if src.UnreachableAt != nil && dst.UnreachableAt == nil {
			keep["unreachable_at"] = src.UnreachableAt
		}
		if err := tx.Model(&Citizen{}).Where("id = ?", dst.ID).Updates(keep).Error; err != nil {
			return fmt.Errorf("update merged citizen: %w", err)
		}
		if err := tx.Delete(&Citizen{}, src.ID).Error; err != nil {
			return fmt.Errorf("remove merged citizen: %w", err)
		}
		return s.mergeChatData(tx, channel, from, to)
	})
	if err != nil {
		return 0, fmt.Errorf("merge a %s citizen into another chat id: %w", channel, err)
	}
	return moved, nil
}

func findCitizen(tx *gorm.DB, channel, chatID string, c *Citizen) (bool, error) {
	res := tx.Where("channel = ? AND external_id = ?", channel, chatID).Limit(1).Find(c)
	if res.Error != nil {
		return false, fmt.Errorf("find citizen: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

func countCases(tx *gorm.DB, citizenID int64) (int, error) {
	var n int64
	if err := tx.Model(&Case{}).Where("citizen_id = ?", citizenID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count cases: %w", err)
	}
	return int(n), nil
}

// mergeConsents moves from's consents and erasure requests to to. Of two
// consents to one purpose the first is kept, the one that preceded the
// collection; of two open erasure requests both stay open, the second
// without the key that allows one open request per chat.
func mergeConsents(tx *gorm.DB, channel, from, to string) error {
	var src, dst []Consent
	if err := tx.Where("channel = ? AND chat_id = ?", channel, from).Find(&src).Error; err != nil {
		return fmt.Errorf("read consents: %w", err)
	}
	if err := tx.Where("channel = ? AND chat_id = ?", channel, to).Find(&dst).Error; err != nil {
		return fmt.Errorf("read consents: %w", err)
	}
	have := make(map[string]Consent, len(dst))
	for _, c := range dst {
		have[c.Purpose] = c
	}
	for _, c := range src {
		if old, ok := have[c.Purpose]; ok {
			drop := c.ID
			if c.At.Before(old.At) {
				drop = old.ID
			}
			if err := tx.Delete(&Consent{}, drop).Error; err != nil {
				return fmt.Errorf("drop a second consent: %w", err)
			}
			if drop == c.ID {
				continue
			}
		}
		if err := tx.Model(&Consent{}).Where("id = ?", c.ID).Update("chat_id", to).Error; err != nil {
			return fmt.Errorf("move consent: %w", err)
		}
	}

	var open int64
	if err := tx.Model(&DeletionRequest{}).Where("channel = ? AND chat_id = ? AND done_at IS NULL", channel, to).
		Count(&open).Error; err != nil {
		return fmt.Errorf("read erasure requests: %w", err)
	}
	var reqs []DeletionRequest
	if err := tx.Where("channel = ? AND chat_id = ?", channel, from).Find(&reqs).Error; err != nil {
		return fmt.Errorf("read erasure requests: %w", err)
	}
	for _, r := range reqs {
		set := map[string]any{"chat_id": to}
		if r.OpenKey != nil {
			if open > 0 {
				set["open_key"] = gorm.Expr("NULL")
			} else {
				set["open_key"] = channel + ":" + to
				open++
			}
		}
		if err := tx.Model(&DeletionRequest{}).Where("id = ?", r.ID).Updates(set).Error; err != nil {
			return fmt.Errorf("move erasure request: %w", err)
		}
	}
	return nil
}
