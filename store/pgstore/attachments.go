package pgstore

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/leksono/sapa/services"
)

// Attachment is a photo or document filed with a case. The bytes live in
// the media store (store/mediastore), addressed by SHA256; this row says
// which case they belong to. One case holds a file once: adding the same
// content again is a no-op.
type Attachment struct {
	ID     int64 `gorm:"primaryKey"`
	CaseID int64 `gorm:"not null;uniqueIndex:idx_attachments_case_sha256,priority:1"`
	// Case exists for the foreign key; it is never loaded nor written.
	Case *Case  `gorm:"constraint:OnUpdate:RESTRICT,OnDelete:RESTRICT"`
	Kind string `gorm:"size:16;not null"` // "photo" or "document"
	MIME string `gorm:"column:mime;size:64;not null"`
	Size int64  `gorm:"not null"`
	// SHA256 is the hex digest of the content. Its own index answers
	// "which cases hold this file" (a file to erase, a photo sent twice).
	SHA256    string    `gorm:"column:sha256;size:64;not null;index;uniqueIndex:idx_attachments_case_sha256,priority:2"`
	Path      string    `gorm:"size:255;not null"` // where the media store keeps it, relative to its directory
	CreatedAt time.Time `gorm:"not null"`
	// Requirement is the document field the file was sent for, "" for a
	// complaint's photo or an answer's file.
	Requirement string `gorm:"size:64;not null;default:''"`
}

// File is the attachment as the services see it.
func (a Attachment) File() services.StoredFile {
	return services.StoredFile{Kind: a.Kind, MIME: a.MIME, Size: a.Size, SHA256: a.SHA256, Path: a.Path, Requirement: a.Requirement}
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// validateFile rejects a StoredFile that did not come from the media store.
func validateFile(f services.StoredFile) error {
	switch {
	case !sha256Hex.MatchString(f.SHA256):
		return errors.New("attachment hash is not a lower-case hex SHA-256")
	case f.Kind == "":
		return fmt.Errorf("attachment %s: kind is empty", f.SHA256)
	case f.MIME == "":
		return fmt.Errorf("attachment %s: mime type is empty", f.SHA256)
	case f.Size <= 0:
		return fmt.Errorf("attachment %s: size %d", f.SHA256, f.Size)
	case f.Path == "":
		return fmt.Errorf("attachment %s: path is empty", f.SHA256)
	}
	return nil
}

// insertAttachments files files with the case caseID inside tx. A file the
// case already holds is skipped, so a retried submission adds nothing.
func insertAttachments(tx *gorm.DB, caseID int64, files []services.StoredFile, at time.Time) error {
	for _, f := range files {
		if err := validateFile(f); err != nil {
			return err
		}
		a := Attachment{CaseID: caseID, Kind: f.Kind, MIME: f.MIME, Size: f.Size, SHA256: f.SHA256, Path: f.Path, CreatedAt: at, Requirement: f.Requirement}
		err := tx.Omit(clause.Associations).
			Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "case_id"}, {Name: "sha256"}}, DoNothing: true}).
			Create(&a).Error
		if err != nil {
			return fmt.Errorf("insert attachment %s: %w", f.SHA256, err)
		}
	}
	return nil
}

// Attachments lists the files of the case with the ticket, in the order
// they were filed. It fails with ErrNotFound when no case has the ticket.
func (s *Store) Attachments(ctx context.Context, ticket string) ([]services.StoredFile, error) {
	db := s.db.WithContext(ctx)
	var c Case
	res := db.Select("id").Where("ticket = ?", ticket).Limit(1).Find(&c)
	if res.Error != nil {
		return nil, fmt.Errorf("load attachments of %s: %w", ticket, res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, fmt.Errorf("load attachments of %s: %w", ticket, ErrNotFound)
	}
	var rows []Attachment
	if err := db.Where("case_id = ?", c.ID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load attachments of %s: %w", ticket, err)
	}
	files := make([]services.StoredFile, 0, len(rows))
	for _, a := range rows {
		files = append(files, a.File())
	}
	return files, nil
}

// AddAttachments files more photos or documents with an open case (a
// citizen completing a complaint about the same matter) and marks the case
// updated at that time. Files the case already holds are skipped. It fails
// with ErrNotFound for an unknown ticket and ErrClosed for a case in a
// final status: a closed case is not reopened by a photo.
func (s *Store) AddAttachments(ctx context.Context, ticket string, files []services.StoredFile, at time.Time) error {
	switch {
	case ticket == "":
		return errors.New("add attachments: ticket is empty")
	case at.IsZero():
		return fmt.Errorf("add attachments to %s: time is zero", ticket)
	case len(files) == 0:
		return nil
	}
	for _, f := range files {
		if err := validateFile(f); err != nil {
			return fmt.Errorf("add attachments to %s: %w", ticket, err)
		}
	}
	at = dbTime(at)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var c Case
		res := tx.Clauses(clause.Locking{Strength: clause.LockingStrengthUpdate}).
			Select("id", "status").Where("ticket = ?", ticket).Limit(1).Find(&c)
		if res.Error != nil {
			return fmt.Errorf("lock case: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if !c.Status.Open() {
			return fmt.Errorf("%w: %s", ErrClosed, c.Status)
		}
		if err := insertAttachments(tx, c.ID, files, at); err != nil {
			return err
		}
		return updateCase(tx, c.ID, map[string]any{"updated_at": at})
	})
	if err != nil {
		return fmt.Errorf("add attachments to %s: %w", ticket, err)
	}
	s.changed(ticket)
	return nil
}

// FileRemover deletes a file of the media store by the path it gave
// (Attachment.Path). mediastore.Store implements it.
type FileRemover interface {
	Remove(path string) error
}

// eraseAttachments deletes the attachment rows of case caseID inside tx and
// returns the paths of the files no other case holds any more: the same
// photo sent with another case (content-addressed, so stored once) stays.
func eraseAttachments(tx *gorm.DB, caseID int64) ([]string, error) {
	var rows []Attachment
	if err := tx.Where("case_id = ?", caseID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	if err := tx.Where("case_id = ?", caseID).Delete(&Attachment{}).Error; err != nil {
		return nil, fmt.Errorf("delete: %w", err)
	}
	var gone []string
	for _, a := range rows {
		var others int64
		if err := tx.Model(&Attachment{}).Where("sha256 = ?", a.SHA256).Count(&others).Error; err != nil {
			return nil, fmt.Errorf("count other holders of %s: %w", a.SHA256, err)
		}
		if others == 0 {
			gone = append(gone, a.Path)
		}
	}
	return gone, nil
}

// removeFiles removes erased cases' files from the media store, after the
// erasure committed. A file that cannot be removed is logged by its path
// (a hash, no personal data): the erasure itself stands.
func (s *Store) removeFiles(paths []string) {
	if len(paths) == 0 {
		return
	}
	if s.files == nil {
		s.log.Warn("erased cases' files stay in the media directory: the case store was opened without it", "files", len(paths))
		return
	}
	for _, p := range paths {
		if err := s.files.Remove(p); err != nil {
			s.log.Error("an erased case's file could not be removed from the media directory; remove it by hand", "path", p, "err", err)
		}
	}
}
