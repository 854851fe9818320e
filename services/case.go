package services

import "time"

// NewCase is a submitted form, ready to be stored as a case with its first
// event. SourceMessage makes the submission idempotent: the same chat
// message submitted twice yields one case.
type NewCase struct {
	Kind          Kind
	ServiceCode   string
	Unit          string
	Channel       string
	ChatID        string // the citizen's identity on the channel
	CitizenName   string
	VillageCode   string
	Form          map[string]string
	SourceMessage string
	SubmittedAt   time.Time
	DueAt         time.Time
}

// Receipt is what the citizen is told after a submission.
type Receipt struct {
	Ticket string
	DueAt  time.Time
}
