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
	// Confidentiality of a complaint: "" or ConfidentialNormal, ConfidentialSecret
	// (never shown outside the handling unit) or ConfidentialAnonymous (staff
	// never see who filed it; the citizen still gets updates).
	Confidentiality string
	Attachments     []StoredFile // photos and documents, already stored
	// Incomplete files the case as perlu_perbaikan: a required document is
	// still to come (MissingDocuments), and the time limit starts only
	// when the last one is in (AddDocuments).
	Incomplete bool
	// TicketNumber, when set, is the day's ticket number already handed
	// out to the citizen (while the database was unreachable); 0 lets the
	// case store take the next one.
	TicketNumber int64
}

// Confidentiality levels of a complaint (SP4N-LAPOR! practice).
const (
	ConfidentialNormal    = "biasa"
	ConfidentialSecret    = "rahasia"
	ConfidentialAnonymous = "anonim"
)

// StoredFile is a photo or document a citizen sent, stored once by its
// content hash.
type StoredFile struct {
	Kind   string // "photo" or "document"
	MIME   string // image/jpeg, image/png, image/webp or application/pdf
	Size   int64
	SHA256 string // hex
	Path   string // where the media store keeps it
	// Requirement is the document field the file was sent for (foto_kk),
	// "" for a photo of a complaint or an answer.
	Requirement string
}

// Receipt is what the citizen is told after a submission.
type Receipt struct {
	Ticket string
	DueAt  time.Time
}

// CaseView is a stored case as the conversation shows it to staff and to
// its citizen. Form holds identity numbers: show them through MaskID only.
type CaseView struct {
	Ticket      string
	Kind        Kind
	ServiceCode string
	Unit        string
	Status      Status
	Channel     string // where the citizen wrote from
	ChatID      string
	CitizenName string
	CitizenLang string // "" when the citizen chose no language
	VillageCode string
	Assignee    string // officer ID, "" when nobody took it
	// Confidentiality of a complaint. For ConfidentialAnonymous the staff
	// views (CaseDesk.Case, OpenCases) never load who filed it: CitizenName,
	// ChatID and the identity numbers in Form stay empty. Only the views
	// returned by a change (used to notify the citizen) carry the chat.
	Confidentiality string
	Attachments     []StoredFile
	Form            map[string]string
	DueAt           time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
	// Erased is true once the citizen's personal data was erased on their
	// request: their chat is no longer known, nobody can be told.
	Erased bool
	// EraseWhenClosed is true when the citizen asked for erasure while the
	// case was open: its data is kept until it is finished, then erased.
	EraseWhenClosed bool
	// UnreachableAt is when the citizen's chat app refused the bot's
	// messages (they blocked it); zero while they can be reached.
	UnreachableAt time.Time
}

// Event kinds of a case's history.
const (
	EventSubmit   = "submit"   // the citizen filed the case
	EventStatus   = "status"   // an officer changed the status
	EventAssign   = "assign"   // the case was given to an officer
	EventNote     = "note"     // an internal note, never shown to the citizen
	EventQuestion = "question" // an officer asked the citizen for something
	EventReply    = "reply"    // the citizen answered a question
	// EventLetter: a letter was printed for the case (again, for a
	// reprint); the note is its number.
	EventLetter = "letter"
	// EventLetterRevoked: an issued letter was revoked; the note is its
	// number and the reason, "<number> — <reason>".
	EventLetterRevoked = "letter_revoked"
)

// Event is one step of a case's history.
type Event struct {
	Kind  string
	Actor string // "citizen", or an officer ID
	At    time.Time
	From  Status
	To    Status
	Note  string
	// NoteErased is set when the note was destroyed by the citizen's
	// erasure: the step stays in the history, what was written does not.
	NoteErased bool
}

// Shown reports whether the citizen sees this event in their timeline.
func (e Event) Shown() bool { return e.Kind != EventNote && e.Kind != EventAssign }

// StatusChange is one decision on a case.
type StatusChange struct {
	Ticket string
	To     Status
	Actor  string
	Note   string
	At     time.Time
	DueAt  *time.Time // the new due date, when the decision starts the clock
	Kind   string     // EventStatus, EventQuestion or EventReply
}

// CaseFilter selects open cases for staff lists and reminders.
type CaseFilter struct {
	Unit      string     // "" for every unit
	Assignee  string     // "" for anyone
	DueBefore *time.Time // only cases due before this whose clock runs or has not been paused
	Limit     int        // 0 for the store's default
}

// DeletionRequest is a citizen's request that their data be erased, which
// staff must act on by DueAt (3 x 24 hours, UU 27/2022).
type DeletionRequest struct {
	ID          int64
	Channel     string
	ChatID      string
	RequestedAt time.Time
	DueAt       time.Time
}

// DocumentsAdded is documents a citizen sent for a case already filed
// without them. Counts are the document fields' new answers, merged into
// the form. When Complete (no required document is missing any more) a case
// waiting in perlu_perbaikan goes to verifikasi and its time limit DueAt
// starts: the law counts it from the complete file.
type DocumentsAdded struct {
	Ticket   string
	Files    []StoredFile // each with its Requirement
	Counts   map[string]string
	Complete bool
	DueAt    time.Time // with Complete
	Note     string    // what arrived, for the history
	At       time.Time
}
