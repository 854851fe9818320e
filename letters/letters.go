// Package letters prints the letters an office issues for finished
// requests and keeps them verifiable. A letter is made from its service's
// template (configs/letters/<code>.yaml) and the case's data, gets the next
// number of the office's outgoing-letter register (one counter per office
// and year, in the database, never reused), carries a short verification
// code and its QR code, and is recorded in the case's history. Anyone can
// check a code: the public page of VerifyHandler, or the bot's chat.
//
// The package knows no database and no chat app: the register is the
// Register the case store implements (pgstore.Store.Letters), look-ups are
// counted by a Limiter in Redis (redisstore.Store).
package letters

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// Config is what an Issuer is built from.
type Config struct {
	Catalog   *services.Catalog
	Templates *Templates
	Texts     *locales.Bundle
	Register  Register
	// Limiter counts verification look-ups per address and per chat; nil
	// leaves them unlimited (only for tests of other packages).
	Limiter Limiter
	// PublicURL is where the bot's verification page is reached from the
	// internet ("https://sapa.leksono.go.id"): the QR code of every letter
	// holds PublicURL + "/verifikasi/" + code.
	PublicURL string
	// TrustedProxies are the addresses of the reverse proxies in front of
	// the verification page: from them the client's address is read from
	// X-Forwarded-For. Empty: the connection's address is the client's.
	TrustedProxies []netip.Prefix
	Now            func() time.Time // defaults to time.Now
	Log            *slog.Logger     // defaults to slog.Default()
	// Random is where verification codes are drawn from; nil is
	// crypto/rand. Only tests that need the same codes every run set it.
	Random io.Reader
}

// Issuer prints, registers, revokes and verifies an office's letters. It
// is safe for concurrent use.
type Issuer struct {
	catalog   *services.Catalog
	templates *Templates
	texts     *locales.Bundle
	register  Register
	limiter   Limiter
	publicURL string
	proxies   []netip.Prefix
	now       func() time.Time
	log       *slog.Logger
	random    io.Reader
}

// New builds an Issuer. The templates come from LoadTemplates, which has
// checked them against the same catalog.
func New(cfg Config) *Issuer {
	i := &Issuer{
		catalog:   cfg.Catalog,
		templates: cfg.Templates,
		texts:     cfg.Texts,
		register:  cfg.Register,
		limiter:   cfg.Limiter,
		publicURL: strings.TrimRight(cfg.PublicURL, "/"),
		proxies:   cfg.TrustedProxies,
		now:       cfg.Now,
		log:       cmp.Or(cfg.Log, slog.Default()),
		random:    cfg.Random,
	}
	if i.random == nil {
		i.random = rand.Reader
	}
	if i.now == nil {
		i.now = time.Now
	}
	return i
}

// Letter is one printed letter.
type Letter struct {
	Number   string    // 470/012/IV/2026
	Code     string    // verification code as printed: 7KQ2M-XD40A
	PDF      []byte    // the A4 letter, ready to sign and stamp
	IssuedAt time.Time // the letter's date; a reprint keeps the first print's
	Ticket   string
	// Reprint: the case had this letter already; it was printed again.
	Reprint bool
	// VerifyURL is what the QR code holds.
	VerifyURL string
}

// Issue prints the letter of the case with ticket for officer officerID:
// its number from the register (a reprint when the case has a letter that
// is not revoked), recorded in the case's history. It fails with ErrNoCase
// for an unknown ticket, and ErrNotPrintable when the service produces no
// letter or the case is not at a status that allows one. Whether the
// officer may act on the case is the caller's to check, as for every staff
// action.
func (i *Issuer) Issue(ctx context.Context, ticket, officerID string) (Letter, error) {
	canonical, ok := services.NormalizeTicket(ticket)
	if !ok {
		return Letter{}, fmt.Errorf("print letter of %q: %w", ticket, ErrNoCase)
	}
	c, err := i.register.Case(ctx, canonical)
	if err != nil {
		return Letter{}, fmt.Errorf("print letter of %s: %w", canonical, err)
	}
	svc, _ := i.catalog.Service(c.ServiceCode)
	tpl, ok := i.templates.For(c.ServiceCode)
	if !svc.Letter || !ok {
		return Letter{}, fmt.Errorf("print letter of %s: %w: service %s produces no letter", canonical, ErrNotPrintable, c.ServiceCode)
	}
	if !c.Status.Printable() {
		return Letter{}, fmt.Errorf("print letter of %s: %w: the case is %s", canonical, ErrNotPrintable, c.Status)
	}
	code, err := newCode(i.random)
	if err != nil {
		return Letter{}, fmt.Errorf("print letter of %s: %w", canonical, err)
	}
	now := i.now().In(i.catalog.Office.Location)
	holder := strings.TrimSpace(c.Form[tpl.Holder])
	rec, reprint, err := i.register.Issue(ctx, NewLetter{
		Office: i.catalog.Office.RegionCode, Year: now.Year(), Ticket: canonical, Officer: officerID, At: now,
		Code: code, HolderName: holder, HolderMasked: MaskName(holder), VillageCode: c.VillageCode,
		Number: func(seq int64) string { return i.templates.Number.Format(seq, tpl.Class, now) },
	})
	if err != nil {
		return Letter{}, fmt.Errorf("print letter of %s: %w", canonical, err)
	}
	l := Letter{
		Number: rec.Number, Code: FormatCode(rec.Code), IssuedAt: rec.IssuedAt, Ticket: canonical,
		Reprint: reprint, VerifyURL: i.VerifyURL(rec.Code),
	}
	l.PDF, err = render(i.sheet(c, tpl, rec, l.VerifyURL, now))
	if err != nil {
		return Letter{}, fmt.Errorf("print letter %s of %s: %w", rec.Number, canonical, err)
	}
	i.log.Info("letter printed", "ticket", canonical, "number", rec.Number, "officer", officerID, "reprint", reprint)
	return l, nil
}

// VerifyURL is the public address that verifies a code.
func (i *Issuer) VerifyURL(code string) string {
	if canonical, check := parseCode(code); check != codeMalformed {
		code = canonical
	}
	return i.publicURL + "/verifikasi/" + FormatCode(code)
}

// sheet resolves a letter's texts: the template's with the case's answers
// in its placeholders, the office's letterhead and signatory.
func (i *Issuer) sheet(c services.CaseView, tpl Template, rec Record, verifyURL string, now time.Time) sheet {
	o := i.catalog.Office
	svc, _ := i.catalog.Service(c.ServiceCode)
	fields := map[string]services.Field{}
	args := map[string]string{"kecamatan": o.Name, "kabupaten": o.Regency}
	for _, f := range svc.Form {
		fields[f.Name] = f
		args[f.Name] = i.display(f, c.Form[f.Name])
	}
	fill := func(text string) string { return fillPlaceholders(text, args) }
	s := sheet{
		letterhead: []string{
			i.text("letter.government", map[string]string{"kabupaten": strings.ToUpper(o.Regency)}),
			i.text("letter.office", map[string]string{"kecamatan": strings.ToUpper(o.Name)}),
			i.text("letter.address", map[string]string{"address": o.Address}),
			i.text("letter.phone", map[string]string{"phone": o.Phone}),
		},
		title:     fill(tpl.Title),
		number:    i.text("letter.number", map[string]string{"number": rec.Number}),
		opening:   fill(tpl.Opening),
		body:      paragraphs(fill(tpl.Body)),
		closing:   strings.Join(paragraphs(fill(tpl.Closing)), "\n"),
		dated:     i.text("letter.dated", map[string]string{"place": i.templates.Place, "date": i.date(rec.IssuedAt)}),
		signatory: i.templates.Signatories[tpl.Signatory],
		code:      FormatCode(rec.Code),
		verifyURL: verifyURL,
		author:    i.text("letter.office", map[string]string{"kecamatan": o.Name}),
		created:   now,
	}
	s.nipLabel = i.text("letter.nip", map[string]string{"nip": s.signatory.NIP})
	s.codeLine = i.text("letter.code", map[string]string{"code": s.code})
	s.verifyNote = i.text("letter.verify", map[string]string{"url": verifyURL, "code": s.code, "kecamatan": o.Name})
	for _, l := range tpl.Fields {
		s.lines = append(s.lines, [2]string{l.Label, i.display(fields[l.Field], c.Form[l.Field])})
	}
	return s
}

// fillPlaceholders replaces each {name} with args[name]; templates were
// checked to use known names only.
func fillPlaceholders(text string, args map[string]string) string {
	return placeholderRe.ReplaceAllStringFunc(text, func(m string) string {
		if v, ok := args[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// text is a sentence of the letters' own, in Bahasa Indonesia: letters are
// official documents, whatever language the citizen chats in.
func (i *Issuer) text(key string, args map[string]string) string {
	return i.texts.T(locales.DefaultLang, key, args)
}

// date writes a date as letters do: "12 Desember 2026".
func (i *Issuer) date(d time.Time) string { return i.dateIn(locales.DefaultLang, d) }

// dateIn writes a date as people of lang read it.
func (i *Issuer) dateIn(lang string, d time.Time) string {
	d = d.In(i.catalog.Office.Location)
	return i.texts.T(lang, "date.format", map[string]string{
		"day": strconv.Itoa(d.Day()), "month": i.texts.T(lang, "date.month."+strconv.Itoa(int(d.Month())), nil), "year": strconv.Itoa(d.Year()),
	})
}

// Entry is one line of the outgoing-letter register as the office reads
// it.
type Entry struct {
	Seq         int64
	Number      string
	IssuedAt    time.Time
	IssuedBy    string // officer id
	Ticket      string
	Service     string // service code
	ServiceName string
	// Holder is the name the letter was made out to, or its masked form
	// once the citizen's data was erased.
	Holder  string
	Village string // village name
	Code    string // verification code as printed
	Prints  int
	Revoked bool
	// RevokedAt, RevokedBy and RevokeReason are set when Revoked.
	RevokedAt    time.Time
	RevokedBy    string
	RevokeReason string
}

// Register lists the office's letters of a year in number order.
func (i *Issuer) Register(ctx context.Context, year int) ([]Entry, error) {
	recs, err := i.register.Year(ctx, i.catalog.Office.RegionCode, year)
	if err != nil {
		return nil, fmt.Errorf("letter register of %d: %w", year, err)
	}
	out := make([]Entry, 0, len(recs))
	for _, r := range recs {
		e := Entry{
			Seq: r.Seq, Number: r.Number, IssuedAt: r.IssuedAt, IssuedBy: r.IssuedBy, Ticket: r.Ticket,
			Service: r.Service, ServiceName: i.text("service."+r.Service+".name", nil),
			Holder: cmp.Or(r.HolderName, r.HolderMasked), Village: i.villageName(r.VillageCode),
			Code: FormatCode(r.Code), Prints: r.Prints, Revoked: r.Revoked(),
			RevokedBy: r.RevokedBy, RevokeReason: r.RevokeReason,
		}
		if r.RevokedAt != nil {
			e.RevokedAt = *r.RevokedAt
		}
		out = append(out, e)
	}
	return out, nil
}

func (i *Issuer) villageName(code string) string {
	if v, ok := i.catalog.Village(code); ok {
		return v.Name
	}
	return code
}

// Revoke revokes the letter with a verification code, for a reason that
// goes into its case's history; verification says from then on that it was
// revoked. It fails with ErrNoLetter for a code no letter has (mistyped
// ones included) and ErrRevoked for a letter revoked already.
func (i *Issuer) Revoke(ctx context.Context, code, officerID, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return errors.New("revoke letter: the reason is empty")
	}
	canonical, check := parseCode(code)
	if check != codeWellFormed {
		return fmt.Errorf("revoke letter: %w (the code is %s)", ErrNoLetter, check)
	}
	rec, err := i.register.Revoke(ctx, canonical, officerID, reason, i.now())
	if err != nil {
		return fmt.Errorf("revoke letter %s: %w", maskCode(canonical), err)
	}
	i.log.Info("letter revoked", "ticket", rec.Ticket, "number", rec.Number, "officer", officerID)
	return nil
}
