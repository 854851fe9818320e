// Package consultation is the domain of public consultations and
// announcements: what the office asks the kecamatan (a short background, one
// question with options or a ranking of up to five proposals, an optional
// comment), the answers citizens give, and the results the office publishes
// back, per option and per village. It knows no chat app and no store:
// conversation asks citizens, pgstore keeps the answers, delivery sends the
// results, and all of them share these types and rules.
package consultation

import (
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/leksono/sapa/services"
)

// Kind is how a consultation is answered.
type Kind string

// The kinds of consultation.
const (
	// KindChoice: pick one of the options.
	KindChoice Kind = "choice"
	// KindRanking: put up to MaxRanked proposals in order of priority, as
	// a Musrenbang ranks its proposals.
	KindRanking Kind = "ranking"
)

// Limits the issue sets, checked when a consultation is read and when a
// citizen answers.
const (
	// MaxBackgroundRunes keeps the background readable in one chat message.
	MaxBackgroundRunes = 600
	// MaxCommentRunes is the longest comment kept; a longer one is refused
	// with the limit, never cut silently.
	MaxCommentRunes = 500
	// MaxRanked is the most proposals a ranking offers.
	MaxRanked = 5
	// MaxOptions is the most options a choice offers: more than a phone
	// shows at once makes a poor question.
	MaxOptions = 9
	// MinVillageAnswers is the fewest answers a village's figures are shown
	// for; smaller villages are merged under OtherVillages, so one person's
	// choice cannot be read off a village of two.
	MinVillageAnswers = 5
	// MaxAnnouncementRunes keeps an announcement a short notice.
	MaxAnnouncementRunes = 600
)

// OtherVillages is the code of the merged villages under MinVillageAnswers
// ("lainnya" in the published figures).
const OtherVillages = "lainnya"

// Kecamatan is the scope of a consultation, an announcement or a
// subscription that covers the whole kecamatan (a village's code otherwise).
const Kecamatan = ""

// Option is one answer of a choice, or one proposal of a ranking.
type Option struct {
	Code  string // short and stable: answers keep it
	Label string
}

// Consultation is one question put to the kecamatan.
type Consultation struct {
	Code       string // unique, chosen by the office ("jalan-2027")
	Title      string
	Background string
	Question   string
	Kind       Kind
	Options    []Option
	// Comment: the citizen may add a comment after answering.
	Comment bool
	// Village limits who is asked about it to one village's subscribers;
	// Kecamatan asks everyone. Anyone may answer from the menu.
	Village string
	// Closes is when answers stop being taken unless the office closes it
	// earlier.
	Closes time.Time
}

// Option finds an option by its code.
func (c Consultation) Option(code string) (Option, bool) {
	for _, o := range c.Options {
		if o.Code == code {
			return o, true
		}
	}
	return Option{}, false
}

// Status is where a consultation is in its life.
type Status string

// The statuses of a published consultation.
const (
	StatusOpen   Status = "open"
	StatusClosed Status = "closed"
)

// Published is a consultation as the office published it.
type Published struct {
	Consultation
	Status      Status
	PublishedAt time.Time
	ClosedAt    time.Time // zero while open
	// Response is the office's answer ("tanggapan kecamatan"): what it
	// decided and why; "" until written.
	Response   string
	ResponseAt time.Time
}

// OpenAt reports whether answers are taken at now.
func (p Published) OpenAt(now time.Time) bool {
	return p.Status == StatusOpen && (p.Closes.IsZero() || now.Before(p.Closes))
}

// Answer is one person's answer.
type Answer struct {
	// Choice is the option picked (KindChoice).
	Choice string
	// Ranking is the proposals in order of priority, first the most wanted
	// (KindRanking).
	Ranking []string
	// Comment is the citizen's comment, cleaned (CleanComment); "" for none.
	Comment string
	// Village is the code of the citizen's village, "" when unknown.
	Village string
}

// Errors of an answer that does not fit its consultation.
var (
	ErrUnknownOption = errors.New("not an option of this consultation")
	ErrRanking       = errors.New("a ranking names each proposal at most once")
	ErrClosed        = errors.New("consultation is closed")
	ErrNotFound      = errors.New("no such consultation")
	ErrCommentLong   = errors.New("comment too long")
)

// Check reports whether a fits c.
func (c Consultation) Check(a Answer) error {
	switch c.Kind {
	case KindChoice:
		if _, ok := c.Option(a.Choice); !ok || len(a.Ranking) > 0 {
			return ErrUnknownOption
		}
	case KindRanking:
		if a.Choice != "" || len(a.Ranking) == 0 || len(a.Ranking) > len(c.Options) {
			return ErrRanking
		}
		seen := map[string]bool{}
		for _, code := range a.Ranking {
			if _, ok := c.Option(code); !ok {
				return ErrUnknownOption
			}
			if seen[code] {
				return ErrRanking
			}
			seen[code] = true
		}
	}
	if utf8.RuneCountInString(a.Comment) > MaxCommentRunes {
		return ErrCommentLong
	}
	return nil
}

// CleanComment is a comment as staff will read it: the invisible characters
// that change how a text shows (bidi overrides, zero-width spaces) stripped
// as every text staff read is (services.StripInvisible), runs of blanks
// folded, trimmed. It reports false when the result is over
// MaxCommentRunes: the citizen is asked for a shorter one.
func CleanComment(s string) (string, bool) {
	s = services.StripInvisible(strings.ToValidUTF8(s, ""))
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	s = strings.TrimSpace(strings.Join(lines, "\n"))
	return s, utf8.RuneCountInString(s) <= MaxCommentRunes
}

// Announcement is a short notice to the subscribers of a village or of the
// whole kecamatan (a mobile service day, an office closure, a deadline).
type Announcement struct {
	Code    string
	Text    string
	Village string // Kecamatan: every subscriber
}

// KindAnnouncement is the kind of broadcast capped at one a day per chat.
const KindAnnouncement = "announcement"

// Recipient is a chat a broadcast goes to.
type Recipient struct {
	Channel, ChatID string
}

// Outgoing is one broadcast message to queue: the chat, and its text in
// the chat's language.
type Outgoing struct {
	Recipient
	Text string
}

// Comment is one comment as staff read it to moderate: no name, no chat.
type Comment struct {
	ID      int64
	Text    string
	Village string
	Quoted  bool
	At      time.Time
}
