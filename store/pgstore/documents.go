package pgstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"

	"gorm.io/gorm"

	"github.com/leksono/sapa/services"
)

// AddDocuments files the documents a citizen sent after their case, in one
// transaction holding the case's lock: the files, their counts merged into
// the form, and an EventReply in the history. When d.Complete and the case
// waits in perlu_perbaikan, it goes to verifikasi and its due date becomes
// d.DueAt: the time limit counts from the complete file. A document's count
// is taken from the files the case holds for it. A case in a final status
// fails with ErrClosed, an unknown ticket with ErrNotFound.
func (s *Store) AddDocuments(ctx context.Context, d services.DocumentsAdded) (Case, CaseEvent, error) {
	switch {
	case d.Ticket == "":
		return Case{}, CaseEvent{}, errors.New("add documents: ticket is empty")
	case d.At.IsZero():
		return Case{}, CaseEvent{}, fmt.Errorf("add documents to %s: time is zero", d.Ticket)
	case d.Note == "":
		return Case{}, CaseEvent{}, fmt.Errorf("add documents to %s: note is empty", d.Ticket)
	case d.Complete && d.DueAt.IsZero():
		return Case{}, CaseEvent{}, fmt.Errorf("add documents to %s: a complete file needs its due date", d.Ticket)
	}
	for _, f := range d.Files {
		if err := validateFile(f); err != nil {
			return Case{}, CaseEvent{}, fmt.Errorf("add documents to %s: %w", d.Ticket, err)
		}
		if f.Requirement == "" {
			return Case{}, CaseEvent{}, fmt.Errorf("add documents to %s: file %s names no requirement", d.Ticket, f.SHA256)
		}
	}
	at := dbTime(d.At)
	return s.onCase(ctx, "add documents to", d.Ticket, func(tx *gorm.DB, c *Case) (CaseEvent, error) {
		if !c.Status.Open() {
			return CaseEvent{}, fmt.Errorf("%w: %s", ErrClosed, c.Status)
		}
		if err := insertAttachments(tx, c.ID, d.Files, at); err != nil {
			return CaseEvent{}, err
		}
		// Counts are not personal data: merged into the sealed form as
		// they are. A document's count is what the case holds for it, so
		// the same message handled again after a crash (its files already
		// in) counts them once.
		form := maps.Clone(c.FormData)
		if form == nil {
			form = FormData{}
		}
		maps.Copy(form, d.Counts)
		for name := range d.Counts {
			var n int64
			if err := tx.Model(&Attachment{}).Where("case_id = ? AND requirement = ?", c.ID, name).Count(&n).Error; err != nil {
				return CaseEvent{}, fmt.Errorf("count the files of %s: %w", name, err)
			}
			if n > 0 {
				form[name] = strconv.FormatInt(n, 10)
			}
		}
		set := map[string]any{"form_data": form, "updated_at": at}
		to := c.Status
		if d.Complete && c.Status == services.StatusIncomplete {
			to = services.StatusVerifying
			set["status"] = to
			set["due_at"] = dbTime(d.DueAt)
		}
		if err := updateCase(tx, c.ID, set); err != nil {
			return CaseEvent{}, err
		}
		return s.insertEvent(tx, CaseEvent{
			CaseID: c.ID, Kind: EventReply, Actor: actorCitizen, At: at,
			FromStatus: c.Status, ToStatus: to, Note: d.Note,
		})
	})
}
