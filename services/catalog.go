// Package services holds the public-service catalog of one kecamatan and the
// rules of a case's life: typed form fields and their validators, working-day
// deadlines and the data a submitted case carries. It is pure domain code: it
// knows no chat platform and no database.
package services

import "time"

// FieldType names the kind of answer a form field expects. Each type has one
// file field_<type>.go with its parser and its tests.
type FieldType string

// The field types a catalog may use.
const (
	FieldNIK     FieldType = "nik"
	FieldKK      FieldType = "kk"
	FieldText    FieldType = "text"
	FieldChoice  FieldType = "choice"
	FieldVillage FieldType = "village"
	FieldDate    FieldType = "date"
	FieldPhone   FieldType = "phone"
	FieldYesNo   FieldType = "yesno"
	// FieldPhotos collects up to MaxFiles photos or PDFs, sent one by one;
	// the engine stores them, the answer is their count.
	FieldPhotos FieldType = "photos"
	// FieldLocation takes a location shared from the chat app, or a place
	// typed as text.
	FieldLocation FieldType = "location"
	// FieldDocument is one requirement of the service standard sent as
	// photos or a PDF (field_document.go): its name is the requirement's
	// (foto_ktp, pengantar_desa), its answer the count of files received.
	FieldDocument FieldType = "document"
)

// Kind tells a service request from a complaint.
type Kind string

// Case kinds.
const (
	KindRequest   Kind = "request"
	KindComplaint Kind = "complaint"
)

// Catalog is everything one office decides: its profile, its villages, its
// services and the services it only points citizens to.
type Catalog struct {
	Office    Office
	Villages  []Village
	Services  []Service
	Redirects []Redirect
	// Referrals are where a complaint outside the camat's authority goes
	// (Lapor Bupati, SP4N-LAPOR!, an agency); texts referral.<code>.*.
	Referrals []Referral
	// Reuse names the form fields about the citizen (name, birth date,
	// village, address, phone, identity numbers) that a returning citizen
	// is offered from their last request instead of typing them again.
	Reuse []string
	// ReuseDocuments are the documents (foto_ktp, foto_kk) a returning
	// citizen is offered again from their last request, each for as long
	// as the office holds it valid (reuse_documents in services.yaml).
	ReuseDocuments map[string]time.Duration
	// Handover is how citizens talk to a person (handover.yaml).
	Handover HandoverRules
}

// Referral is a place a complaint can be referred to. An officer types its
// code (or a keyword) with "bukan"; the citizen reads its text.
type Referral struct {
	Code     string
	Keywords []string
}

// Office is the kecamatan's profile.
type Office struct {
	Name         string         // "Leksono"
	Regency      string         // "Wonosobo"
	RegionCode   string         // "33.07.05"
	TicketPrefix string         // "LKS"
	Location     *time.Location // office time zone, Asia/Jakarta
	Address      string
	Phone        string
	Hours        OfficeHours
	Holidays     []string      // "2026-12-25": days that are not working days
	Units        []string      // unit codes; their names are locale keys unit.<code>
	DraftTTL     time.Duration // how long an unfinished form is kept
	ResumeAfter  time.Duration // silence after which a citizen is reminded where they were
	MaxRetries   int           // wrong answers in a row before the menu is offered
	// RemindAt is the time of day ("07:30") each working day when every unit
	// gets its list of cases due today and overdue.
	RemindAt string
	// EscalateAfterDays is how many working days overdue a case may be
	// before its unit's kasi and the camat are told.
	EscalateAfterDays int
	// IKMWeighting is the weighting of the satisfaction index the office
	// publishes (survey.published_weight); reports show both, this one on
	// the card and in the summary. Default WeightingRegulation.
	IKMWeighting IKMWeighting
	// YearlyUsers is the office's service users a year (survey.yearly_users),
	// the population of the survey's minimum sample; 0 means the cases the
	// bot recorded in the year up to the end of the reported period.
	YearlyUsers int
	// Visits are the counter's slots citizens book (kecamatan.yaml visits).
	Visits VisitRules
}

// OfficeHours are the counter hours shown to citizens.
type OfficeHours struct {
	Open  string // "07:30"
	Close string // "16:00"
}

// Village is one desa or kelurahan, identified by its Kemendagri code.
type Village struct {
	Code string // "33.07.05.2001"
	Name string // "Sawangan"
	Kind string // "desa" or "kelurahan"
}

// Service is one service the kecamatan itself delivers. Its texts (name and
// the six parts of its service standard) are locale keys service.<code>.*.
type Service struct {
	Code     string
	Kind     Kind // KindRequest (a letter, under "Ajukan surat") or KindComplaint (its own main-menu item)
	Unit     string
	Days     int      // time limit in working days; for a complaint, the first-response limit
	Keywords []string // words a citizen may type to pick it
	// Synonyms are more words that name it inside a sentence: other names,
	// Javanese, abbreviations ("surat miskin", "skd", "dalan rusak").
	Synonyms []string
	Form     []Field
	// Letter says the office prints a letter for a finished case of this
	// service; its template is configs/letters/<code>.yaml (package letters).
	Letter bool
	// LetterLine is the line of the letter key in services.yaml, for
	// problems found in the letter's template; 0 when Letter is unset.
	LetterLine int
	// Visit says why the citizen must come to the counter; a booked visit
	// is offered after the request is filed. VisitNone: no visit.
	Visit VisitPurpose
	// Requirements is the service standard's list of documents, in the
	// order shown: each is a document field of Form or a document brought
	// to the counter at pick-up (field_document.go).
	Requirements []Requirement
}

// Redirect is a service handled elsewhere: the bot explains where to go
// instead of opening a case. Its texts are locale keys redirect.<code>.*.
type Redirect struct {
	Code     string
	Keywords []string
	Synonyms []string // as a service's
}

// Field is one question of a service's form.
type Field struct {
	Name      string // key in the form data
	Type      FieldType
	Prompt    string // locale key of the question; default field.<name>.prompt
	Label     string // locale key of the label in the summary; default field.<name>.label
	Min, Max  int    // text length bounds (runes)
	Choices   []Choice
	NotFuture bool // dates: reject dates after today
	NotPast   bool // dates: reject dates before today
	Optional  bool // the citizen may skip it ("lewati")
	MaxFiles  int  // photos, document: how many at most
	MinFiles  int  // document: how many make it complete (0 when optional)
	// Original marks a document whose original is also shown at the
	// counter when the letter is picked up.
	Original bool
	// Keywords are words a caption may name a document by ("kk", "ktp"),
	// so files sent at once in any order find their requirement.
	Keywords []string
	// TitleCase has a text answer stored and shown the way a name is
	// written on a letter (TitleName): "SITI AMINAH" is "Siti Aminah".
	TitleCase bool
	// SkipIf skips the field when another answer has a value: a name is not
	// asked of an anonymous complainant.
	SkipIf *Condition
}

// The form fields the bot reads by name, beyond asking, showing and storing
// them. A service's form must have the ones its kind requires, with their
// types (RequiredFields); the catalog loader refuses a service without them.
const (
	NIKField             = "nik"         // request: the requester's NIK, shown masked in the new-case notice
	NameField            = "nama"        // the citizen's name, which the case carries
	VillageField         = "desa"        // the village code, which the case carries
	CategoryField        = "kategori"    // complaint: its category, for routing, reports and the same-matter check
	DescriptionField     = "uraian"      // complaint: what happened, told to staff and added to a same-matter case
	ConfidentialityField = "kerahasiaan" // complaint: one of the Confidential* levels
	// BirthDateField is the citizen's birth date, when a form asks it: the
	// NIK's date part is checked against it. No form must have it.
	BirthDateField = "tanggal_lahir"
)

// RequiredField is a field every form of one kind must have.
type RequiredField struct {
	Name string
	Type FieldType
	// Values, when set, are the only choice values the bot understands.
	Values []string
	// Why says what the bot does with the answer, for the loader's message.
	Why string
}

// RequiredFields lists, by kind, the fields the bot reads by name.
var RequiredFields = map[Kind][]RequiredField{
	KindRequest: {
		{Name: NIKField, Type: FieldNIK, Why: "the new-case notice to staff shows it, masked"},
		{Name: NameField, Type: FieldText, Why: "the case is filed under the citizen's name"},
		{Name: VillageField, Type: FieldVillage, Why: "the case is filed under the village"},
	},
	KindComplaint: {
		{Name: CategoryField, Type: FieldChoice, Why: "it routes the complaint and finds a repeated one"},
		{Name: VillageField, Type: FieldVillage, Why: "the case is filed under the village"},
		{Name: DescriptionField, Type: FieldText, Why: "staff are told what happened"},
		{Name: ConfidentialityField, Type: FieldChoice, Values: []string{ConfidentialNormal, ConfidentialSecret, ConfidentialAnonymous},
			Why: "it decides which staff see the complaint and its sender"},
		{Name: NameField, Type: FieldText, Why: "the case is filed under the citizen's name unless anonymous"},
	},
}

// Condition compares an earlier answer of the same form with a value.
type Condition struct {
	Field string
	Is    string
}

// Skipped reports whether the field is not asked, given the answers so far.
func (f Field) Skipped(data map[string]string) bool {
	return f.SkipIf != nil && data[f.SkipIf.Field] == f.SkipIf.Is
}

// Choice is one allowed answer of a choice field or one entry of a menu.
// Label is shown as is; LabelKey, when set, is a locale key used instead.
type Choice struct {
	Value    string
	Label    string
	LabelKey string
	Keywords []string
	// Unit, when set on a complaint's category, routes the case to that
	// unit instead of the service's.
	Unit string
}

// Problem is a wrong answer explained: a locale key and its arguments, for
// example field.error.nik_length with {"got": "15"}. It is a conversation
// outcome, not a Go error.
type Problem struct {
	Key  string
	Args map[string]string
}

// Vocabulary is the words citizens type that the parsers must understand,
// taken from every locale: yes and no (including Javanese), month names, and
// number words for menu choices.
type Vocabulary struct {
	Yes     []string
	No      []string
	Months  map[string]int // "januari", "jan", "agustus", "agt" -> 1..12
	Numbers map[string]int // "satu", "setunggal", "siji" -> 1; keys normalized, see Normalized
}

// Normalized returns v with its number words normalized as typed input is
// ("Kalih!" -> "kalih"), which MatchChoice expects: build the vocabulary
// once with it.
func (v Vocabulary) Normalized() Vocabulary {
	numbers := make(map[string]int, len(v.Numbers))
	for w, n := range v.Numbers {
		numbers[normalize(w)] = n
	}
	v.Numbers = numbers
	return v
}

// Service returns the service with the given code.
func (c *Catalog) Service(code string) (Service, bool) {
	for _, s := range c.Services {
		if s.Code == code {
			return s, true
		}
	}
	return Service{}, false
}

// Redirect returns the redirect with the given code.
func (c *Catalog) Redirect(code string) (Redirect, bool) {
	for _, r := range c.Redirects {
		if r.Code == code {
			return r, true
		}
	}
	return Redirect{}, false
}

// Referral returns the referral with the given code.
func (c *Catalog) Referral(code string) (Referral, bool) {
	for _, r := range c.Referrals {
		if r.Code == code {
			return r, true
		}
	}
	return Referral{}, false
}

// Village returns the village with the given code.
func (c *Catalog) Village(code string) (Village, bool) {
	for _, v := range c.Villages {
		if v.Code == code {
			return v, true
		}
	}
	return Village{}, false
}

// PromptKey is the locale key of the field's question.
func (f Field) PromptKey() string {
	if f.Prompt != "" {
		return f.Prompt
	}
	return "field." + f.Name + ".prompt"
}

// LabelKey is the locale key of the field's label in summaries.
func (f Field) LabelKey() string {
	if f.Label != "" {
		return f.Label
	}
	return "field." + f.Name + ".label"
}
