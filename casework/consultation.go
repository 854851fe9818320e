package casework

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/leksono/sapa/consultation"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// ConsultStore is what the office's consultation actions need of the
// database: *pgstore.Store.
type ConsultStore interface {
	PublishConsultation(ctx context.Context, c consultation.Consultation, at time.Time) error
	PublishAnnouncement(ctx context.Context, a consultation.Announcement, at time.Time) error
	CloseConsultation(ctx context.Context, code string, at time.Time) (bool, error)
	SetResponse(ctx context.Context, code, text string, at time.Time) error
	Consultation(ctx context.Context, code string) (consultation.Published, error)
	Consultations(ctx context.Context, open bool, now time.Time, limit int) ([]consultation.Published, error)
	DueToClose(ctx context.Context, now time.Time) ([]string, error)
	ConsultationResults(ctx context.Context, code string) (consultation.Published, consultation.Results, error)
	ConsultationComments(ctx context.Context, code string) ([]consultation.Comment, error)
	QuoteComment(ctx context.Context, code string, id int64, quoted bool) error
	NewIdentityTimes(ctx context.Context, code string) ([]time.Time, error)
	Answerers(ctx context.Context, code string) ([]consultation.Recipient, error)
	Subscribers(ctx context.Context, scope string) ([]consultation.Recipient, error)
	ChosenLangs(ctx context.Context) (map[consultation.Recipient]string, error)
	EnqueueBroadcast(ctx context.Context, key, kind string, msgs []consultation.Outgoing, at time.Time) (int, error)
	BroadcastProgress(ctx context.Context, key string) (sent, total int, err error)
}

// ErrNotAllowed is returned when an officer who is neither camat nor admin
// publishes, closes or answers for the office.
var ErrNotAllowed = errors.New("only the camat or an admin may do this")

// Consultations are the office's actions on public consultations and
// announcements, the same for `bot konsultasi` and the console: publish,
// close, respond, read the results and comments. What citizens are sent is
// queued in the durable broadcast outbox (delivery.Broadcast sends it at
// the channel's pace).
type Consultations struct {
	Store    ConsultStore
	Messages consultation.Messages
	Now      func() time.Time
}

func (c Consultations) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func allowed(o services.Officer) error {
	if !o.Active || !o.Role.AllUnits() {
		return fmt.Errorf("%s: %w", o.ID, ErrNotAllowed)
	}
	return nil
}

// The keys of broadcasts: one per publication and purpose, so the same
// message never goes twice to a chat.
func announceKey(code string) string { return "announce:" + code }
func resultKey(code string) string   { return "result:" + code }
func responseKey(code string) string { return "response:" + code }

// Queued is a broadcast queued: its key (for its progress) and how many
// messages were added.
type Queued struct {
	Key    string
	Queued int
}

// Publish publishes what a file holds. A consultation opens and its
// subscribers (of its village and of the kecamatan) are told it opened;
// an announcement goes to its subscribers. Either counts as the day's one
// announcement of each chat.
func (c Consultations) Publish(ctx context.Context, o services.Officer, f consultation.File) (Queued, error) {
	if err := allowed(o); err != nil {
		return Queued{}, err
	}
	at := c.now()
	switch {
	case f.Consultation != nil:
		k := *f.Consultation
		if err := c.Store.PublishConsultation(ctx, k, at); err != nil {
			return Queued{}, err
		}
		return c.announce(ctx, k.Code, k.Village, func(lang string) string {
			return c.Messages.Texts.T(lang, "consultation.opened", map[string]string{
				"title": k.Title, "closes": c.Messages.Texts.Date(lang, k.Closes.In(c.Messages.Catalog.Office.Location)),
			})
		}, at)
	case f.Announcement != nil:
		a := *f.Announcement
		if err := c.Store.PublishAnnouncement(ctx, a, at); err != nil {
			return Queued{}, err
		}
		return c.announce(ctx, a.Code, a.Village, func(lang string) string { return c.Messages.Announcement(lang, a) }, at)
	}
	return Queued{}, errors.New("publish: the file holds nothing to publish")
}

func (c Consultations) announce(ctx context.Context, code, scope string, text func(lang string) string, at time.Time) (Queued, error) {
	to, err := c.Store.Subscribers(ctx, scope)
	if err != nil {
		return Queued{}, err
	}
	return c.queue(ctx, announceKey(code), consultation.KindAnnouncement, to, text, at)
}

// queue writes a broadcast's message to each recipient in their language.
func (c Consultations) queue(ctx context.Context, key, kind string, to []consultation.Recipient, text func(lang string) string, at time.Time) (Queued, error) {
	langs, err := c.Store.ChosenLangs(ctx)
	if err != nil {
		return Queued{}, err
	}
	texts := map[string]string{}
	msgs := make([]consultation.Outgoing, 0, len(to))
	for _, r := range to {
		lang := langs[r]
		if lang == "" {
			lang = locales.DefaultLang
		}
		if _, ok := texts[lang]; !ok {
			texts[lang] = text(lang)
		}
		msgs = append(msgs, consultation.Outgoing{Recipient: r, Text: texts[lang]})
	}
	n, err := c.Store.EnqueueBroadcast(ctx, key, kind, msgs, at)
	if err != nil {
		return Queued{}, err
	}
	return Queued{Key: key, Queued: n}, nil
}

// Close stops the answers to a consultation and sends everyone who
// answered its result, with the office's response when it is written.
// Closing again sends nothing more.
func (c Consultations) Close(ctx context.Context, o services.Officer, code string) (Queued, error) {
	if err := allowed(o); err != nil {
		return Queued{}, err
	}
	if _, err := c.Store.CloseConsultation(ctx, code, c.now()); err != nil {
		return Queued{}, err
	}
	return c.sendResult(ctx, code)
}

// sendResult queues the result to every answerer, once per consultation.
func (c Consultations) sendResult(ctx context.Context, code string) (Queued, error) {
	p, r, err := c.Store.ConsultationResults(ctx, code)
	if err != nil {
		return Queued{}, err
	}
	to, err := c.Store.Answerers(ctx, code)
	if err != nil {
		return Queued{}, err
	}
	return c.queue(ctx, resultKey(code), "result", to, func(lang string) string { return c.Messages.Result(lang, p, r) }, c.now())
}

// Respond writes the office's response ("tanggapan kecamatan"). Once the
// consultation is closed everyone who answered gets it: with the result
// when the result was not sent yet, on its own otherwise, once.
func (c Consultations) Respond(ctx context.Context, o services.Officer, code, text string) (Queued, error) {
	if err := allowed(o); err != nil {
		return Queued{}, err
	}
	if err := c.Store.SetResponse(ctx, code, text, c.now()); err != nil {
		return Queued{}, err
	}
	p, err := c.Store.Consultation(ctx, code)
	if err != nil {
		return Queued{}, err
	}
	if p.OpenAt(c.now()) {
		return Queued{}, nil // it goes with the result
	}
	_, total, err := c.Store.BroadcastProgress(ctx, resultKey(code))
	if err != nil {
		return Queued{}, err
	}
	if total == 0 {
		// No result went yet (closed by its time, not by the office):
		// the result carries the response.
		return c.sendResult(ctx, code)
	}
	to, err := c.Store.Answerers(ctx, code)
	if err != nil {
		return Queued{}, err
	}
	return c.queue(ctx, responseKey(code), "response", to, func(lang string) string { return c.Messages.Response(lang, p) }, c.now())
}

// Quote marks (or unmarks) comment id of consultation code for the public
// result: an act of the camat or an admin, like publishing.
func (c Consultations) Quote(ctx context.Context, o services.Officer, code string, id int64, quoted bool) error {
	if err := allowed(o); err != nil {
		return err
	}
	return c.Store.QuoteComment(ctx, code, id, quoted)
}

// Report is what the office reads of a consultation: its results, the
// bursts of new identities answering, and the progress of its messages.
type Report struct {
	Consultation consultation.Published
	Results      consultation.Results
	Bursts       []consultation.Burst
}

// Results reads a consultation's report.
func (c Consultations) Results(ctx context.Context, code string) (Report, error) {
	p, r, err := c.Store.ConsultationResults(ctx, code)
	if err != nil {
		return Report{}, err
	}
	times, err := c.Store.NewIdentityTimes(ctx, code)
	if err != nil {
		return Report{}, err
	}
	return Report{Consultation: p, Results: r, Bursts: consultation.Bursts(times, consultation.BurstWindow, consultation.BurstThreshold)}, nil
}

// Progress is "terkirim 412 dari 1.030" of a broadcast.
func (c Consultations) Progress(ctx context.Context, key string) (sent, total int, err error) {
	return c.Store.BroadcastProgress(ctx, key)
}

// CloseDue closes the consultations whose closing time passed and sends
// each its result, as Close does when the office closes one early. It
// returns how many it closed.
func (c Consultations) CloseDue(ctx context.Context) (int, error) {
	codes, err := c.Store.DueToClose(ctx, c.now())
	if err != nil {
		return 0, err
	}
	for i, code := range codes {
		if _, err := c.Store.CloseConsultation(ctx, code, c.now()); err != nil {
			return i, err
		}
		if _, err := c.sendResult(ctx, code); err != nil {
			return i, err
		}
	}
	return len(codes), nil
}
