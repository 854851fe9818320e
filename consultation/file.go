package consultation

import (
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/leksono/sapa/services"
)

// File is what one YAML file of the office publishes: a consultation or an
// announcement (exactly one of the two).
type File struct {
	Consultation *Consultation
	Announcement *Announcement
}

// codePattern keeps codes short and typeable: they travel in button
// payloads (64 bytes on Telegram) and in command lines.
var codePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,31}$`)

// closesLayout is how a closing time is written in the file, office time.
const closesLayout = "2006-01-02 15:04"

// ReadFile reads and checks the consultation or announcement file name of
// fsys, as `bot check` checks the other configuration files: every problem
// found, joined, each with its file and line
// ("jalan.yaml:7: consultation "jalan-2027": kind must be choice or
// ranking"). The villages must be the catalog's; closing times are read in
// the office's time zone and must be after now.
func ReadFile(fsys fs.FS, name string, cat *services.Catalog, now time.Time) (File, error) {
	var cf services.ConfigFiles
	var out File
	root := cf.Read(fsys, name)
	if root != nil {
		top := cf.Mapping(root, "", "consultation", "announcement")
		c, a := top.Value("consultation"), top.Value("announcement")
		switch {
		case c != nil && a != nil:
			cf.Errorf(root, "", "a file publishes one consultation or one announcement, not both: split it in two files")
		case c != nil:
			out.Consultation = readConsultation(&cf, c, cat, now)
		case a != nil:
			out.Announcement = readAnnouncement(&cf, a, cat)
		default:
			cf.Errorf(root, "", "nothing to publish: the file needs consultation: or announcement:")
		}
	}
	if err := cf.Err(); err != nil {
		return File{}, fmt.Errorf("invalid consultation file: %w", err)
	}
	return out, nil
}

func readConsultation(cf *services.ConfigFiles, n *yaml.Node, cat *services.Catalog, now time.Time) *Consultation {
	m := cf.Mapping(n, "consultation", "code", "title", "background", "question", "kind", "options", "comment", "village", "closes")
	c := &Consultation{}
	var at *yaml.Node
	c.Code, at = m.Str("code", true)
	ctx := fmt.Sprintf("consultation %q", c.Code)
	if c.Code != "" && !codePattern.MatchString(c.Code) {
		cf.Errorf(at, ctx, "code must be 2 to 32 small letters, digits and dashes (like jalan-2027)")
	}
	c.Title, _ = m.Str("title", true)
	c.Question, _ = m.Str("question", true)
	c.Background, at = m.Str("background", true)
	if n := utf8.RuneCountInString(c.Background); n >= MaxBackgroundRunes {
		cf.Errorf(at, ctx, "background has %d characters: keep it under %d, it must fit one chat message", n, MaxBackgroundRunes)
	}
	kind, at := m.Str("kind", true)
	c.Kind = Kind(kind)
	if kind != "" && c.Kind != KindChoice && c.Kind != KindRanking {
		cf.Errorf(at, ctx, "kind %q: must be choice (pick one) or ranking (put up to %d proposals in order)", kind, MaxRanked)
	}
	c.Comment = readBool(cf, m, "comment", ctx)
	c.Village = readVillage(cf, m, ctx, cat)
	closes, at := m.Str("closes", true)
	if closes != "" {
		t, err := time.ParseInLocation(closesLayout, closes, cat.Office.Location)
		switch {
		case err != nil:
			cf.Errorf(at, ctx, "closes %q: write the date and time as 2026-12-20 16:00 (office time)", closes)
		case !t.After(now):
			cf.Errorf(at, ctx, "closes %s is already past", closes)
		default:
			c.Closes = t
		}
	}
	opts := m.Value("options")
	if opts == nil {
		cf.Errorf(n, ctx, "options missing: list the answers (or the proposals to rank), each with code and label")
		return c
	}
	if opts.Kind != yaml.SequenceNode {
		cf.Errorf(opts, ctx, "options must be a list, each with code and label")
		return c
	}
	seen := map[string]bool{}
	for _, o := range opts.Content {
		om := cf.Mapping(o, ctx, "code", "label")
		code, cat := om.Str("code", true)
		label, _ := om.Str("label", true)
		if code != "" && !codePattern.MatchString(code) {
			cf.Errorf(cat, ctx, "option code %q must be 2 to 32 small letters, digits and dashes", code)
		}
		if seen[code] {
			cf.Errorf(cat, ctx, "option code %q used twice", code)
		}
		seen[code] = true
		c.Options = append(c.Options, Option{Code: code, Label: label})
	}
	limit := MaxOptions
	if c.Kind == KindRanking {
		limit = MaxRanked
	}
	if len(c.Options) < 2 || len(c.Options) > limit {
		cf.Errorf(opts, ctx, "%d options: a %s needs 2 to %d", len(c.Options), kindName(c.Kind), limit)
	}
	return c
}

func kindName(k Kind) string {
	if k == KindRanking {
		return "ranking"
	}
	return "choice"
}

func readAnnouncement(cf *services.ConfigFiles, n *yaml.Node, cat *services.Catalog) *Announcement {
	m := cf.Mapping(n, "announcement", "code", "text", "village")
	a := &Announcement{}
	var at *yaml.Node
	a.Code, at = m.Str("code", true)
	ctx := fmt.Sprintf("announcement %q", a.Code)
	if a.Code != "" && !codePattern.MatchString(a.Code) {
		cf.Errorf(at, ctx, "code must be 2 to 32 small letters, digits and dashes (like libur-natal)")
	}
	a.Text, at = m.Str("text", true)
	if n := utf8.RuneCountInString(a.Text); n > MaxAnnouncementRunes {
		cf.Errorf(at, ctx, "text has %d characters: an announcement is a short notice of at most %d", n, MaxAnnouncementRunes)
	}
	a.Village = readVillage(cf, m, ctx, cat)
	return a
}

// readVillage reads an optional village: its code, or its name as the
// catalog writes it. Absent: the whole kecamatan.
func readVillage(cf *services.ConfigFiles, m services.ConfigMapping, ctx string, cat *services.Catalog) string {
	v, at := m.Str("village", false)
	if v == "" {
		return Kecamatan
	}
	for _, vil := range cat.Villages {
		if vil.Code == v || strings.EqualFold(vil.Name, v) {
			return vil.Code
		}
	}
	names := make([]string, 0, len(cat.Villages))
	for _, vil := range cat.Villages {
		names = append(names, vil.Name)
	}
	cf.Errorf(at, ctx, "village %q is not one of kecamatan.yaml (leave it out for the whole kecamatan, or use one of: %s)", v, strings.Join(names, ", "))
	return Kecamatan
}

func readBool(cf *services.ConfigFiles, m services.ConfigMapping, key, ctx string) bool {
	v := m.Value(key)
	if v == nil {
		return false
	}
	var b bool
	if v.Kind != yaml.ScalarNode || v.Decode(&b) != nil {
		cf.Errorf(v, ctx, "%s must be true or false", key)
	}
	return b
}
