package services

import (
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Role is what an officer may do.
type Role string

// Officer roles, from the counter to the head of the kecamatan.
const (
	RolePetugas Role = "petugas" // handles cases of their unit
	RoleKasi    Role = "kasi"    // heads a unit: may assign its cases
	RoleCamat   Role = "camat"   // head of the kecamatan: sees and assigns every unit's cases
	RoleAdmin   Role = "admin"   // runs the bot for the office: as camat
)

// CanAssign reports whether the role may give a case to another officer.
func (r Role) CanAssign() bool { return r == RoleKasi || r == RoleCamat || r == RoleAdmin }

// AllUnits reports whether the role sees the cases of every unit.
func (r Role) AllUnits() bool { return r == RoleCamat || r == RoleAdmin }

// Officer is one member of the kecamatan's staff.
type Officer struct {
	ID   string // short stable name used in commands and history ("budi")
	Name string
	Role Role
	Unit string // unit code from kecamatan.yaml; empty for camat and admin
	// Contacts are the officer's addresses: the sender id that makes their
	// messages staff commands, and the chat their notifications go to.
	Contacts Contacts
	Active   bool
}

// Contacts maps a channel's name to an address on it ("telegram": a user
// or group id, "whatsapp": a number as 62...).
type Contacts map[string]string

// Channels lists the channels of c, sorted, so that notifications go out
// in the same order every time.
func (c Contacts) Channels() []string {
	out := make([]string, 0, len(c))
	for ch := range c {
		out = append(out, ch)
	}
	sort.Strings(out)
	return out
}

// Staff is the office's directory: who is staff, and where each unit is
// notified.
type Staff struct {
	Officers []Officer
	// UnitGroups maps a unit code to its group chats, by channel: they get
	// the unit's notifications; a unit without one notifies each active
	// officer.
	UnitGroups map[string]Contacts
}

// terminalChannel is the local chat of "bot chat": there the sender id is
// the officer's ID.
const terminalChannel = "terminal"

// ByIdentity returns the active officer behind a sender on a channel. On the
// terminal channel the sender id is the officer's ID.
func (s *Staff) ByIdentity(channel, senderID string) (Officer, bool) {
	if s == nil || senderID == "" {
		return Officer{}, false
	}
	if rule, ok := contactRules[channel]; ok {
		// Normalized once: a WhatsApp sender arrives in WhatsApp's own form.
		senderID = rule.normalize(senderID)
		if senderID == "" {
			return Officer{}, false
		}
	}
	for _, o := range s.Officers {
		if !o.Active {
			continue
		}
		if o.Contacts[channel] == senderID || (channel == terminalChannel && o.ID == senderID) {
			return o, true
		}
	}
	return Officer{}, false
}

// Addresses lists the addresses of the active officers on channel, in
// the order of staff.yaml: a channel that must know its officers before
// they write (WhatsApp tells their messages from citizens') asks for them.
func (s *Staff) Addresses(channel string) []string {
	var out []string
	if s == nil {
		return out
	}
	for _, o := range s.Officers {
		if addr := o.Contacts[channel]; o.Active && addr != "" {
			out = append(out, addr)
		}
	}
	return out
}

// Officer returns the officer with the given ID, active or not.
func (s *Staff) Officer(id string) (Officer, bool) {
	if s == nil {
		return Officer{}, false
	}
	for _, o := range s.Officers {
		if strings.EqualFold(o.ID, id) {
			return o, true
		}
	}
	return Officer{}, false
}

// OfUnit lists the active officers of a unit.
func (s *Staff) OfUnit(unit string) []Officer {
	var out []Officer
	if s == nil {
		return out
	}
	for _, o := range s.Officers {
		if o.Active && o.Unit == unit {
			out = append(out, o)
		}
	}
	return out
}

// Heads lists the active officers an overdue case of unit is escalated to:
// the unit's kasi and every camat.
func (s *Staff) Heads(unit string) []Officer {
	var out []Officer
	if s == nil {
		return out
	}
	for _, o := range s.Officers {
		if o.Active && ((o.Role == RoleKasi && o.Unit == unit) || o.Role == RoleCamat) {
			out = append(out, o)
		}
	}
	return out
}

// NormalizePhone returns an Indonesian phone number or WhatsApp user part in
// one form, 62 followed by the national number ("0812-3456-7890", "+62 812
// 3456 7890" and "6281234567890" are the same person), or "" when s is not
// a phone number.
func NormalizePhone(s string) string {
	var digits strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case r == '+' && i == 0, r == ' ', r == '-', r == '.', r == '(', r == ')':
		default:
			return ""
		}
	}
	d := digits.String()
	switch {
	case strings.HasPrefix(d, "620"):
		d = "62" + d[3:] // "+62 (0)812..." written with the trunk zero
	case strings.HasPrefix(d, "0"):
		d = "62" + d[1:]
	}
	if !strings.HasPrefix(d, "62") || len(d) < 10 || len(d) > 14 || d[2] == '0' {
		return ""
	}
	return d
}

const staffFile = "staff.yaml"

// contactRule says how an address on one channel is written in staff.yaml
// and normalized, both for the file and for the sender ids a channel hands
// over.
type contactRule struct {
	// normalize returns the address in its one stored form, "" when it is
	// not an address of the channel.
	normalize func(string) string
	// problem says what is wrong with raw, which normalize refused.
	problem func(raw string) string
}

// contactRules are the channels staff.yaml names addresses on, by the key
// an officer's entry uses (which is also the channel's name).
var contactRules = map[string]contactRule{
	"telegram": {normalize: digitsOnly, problem: func(string) string {
		return "telegram must be the numeric Telegram user id (ask the officer to message @userinfobot)"
	}},
	"whatsapp": {normalize: NormalizePhone, problem: func(raw string) string {
		return fmt.Sprintf("whatsapp %q is not an Indonesian phone number (e.g. 081234567890)", raw)
	}},
}

// digitsOnly returns s trimmed when it is a whole number, else "".
func digitsOnly(s string) string {
	s = strings.TrimSpace(s)
	if _, err := strconv.ParseInt(s, 10, 64); err != nil {
		return ""
	}
	return s
}

var officerIDRe = regexp.MustCompile(`^[a-z][a-z0-9_]{1,31}$`)

type staffYAML struct {
	Officers []struct {
		ID       string `yaml:"id"`
		Name     string `yaml:"name"`
		Role     string `yaml:"role"`
		Unit     string `yaml:"unit"`
		Telegram string `yaml:"telegram"`
		WhatsApp string `yaml:"whatsapp"`
		Active   *bool  `yaml:"active"`
	} `yaml:"officers"`
	Units map[string]struct {
		TelegramGroup string `yaml:"telegram_group"`
	} `yaml:"units"`
}

// LoadStaff reads staff.yaml from fsys and checks it against the catalog's
// units. A missing file means no staff: the bot then serves citizens only.
// Every problem is returned, each naming the file and the officer.
func LoadStaff(fsys fs.FS, c *Catalog) (*Staff, error) {
	raw, err := fs.ReadFile(fsys, staffFile)
	if errors.Is(err, fs.ErrNotExist) {
		return &Staff{UnitGroups: map[string]Contacts{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", staffFile, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", staffFile, err)
	}
	var y staffYAML
	if err := doc.Decode(&y); err != nil {
		return nil, fmt.Errorf("%s: %w", staffFile, err)
	}
	units := map[string]bool{}
	for _, u := range c.Office.Units {
		units[u] = true
	}
	s := &Staff{UnitGroups: map[string]Contacts{}}
	var problems []error
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Errorf("%s: "+format, append([]any{staffFile}, args...)...))
	}
	seen := map[string]bool{}
	for i, y := range y.Officers {
		where := "officer " + strconv.Itoa(i+1)
		if y.ID != "" {
			where = fmt.Sprintf("officer %q", y.ID)
		}
		o := Officer{ID: y.ID, Name: strings.TrimSpace(y.Name), Role: Role(y.Role), Unit: y.Unit, Contacts: Contacts{}, Active: y.Active == nil || *y.Active}
		if !officerIDRe.MatchString(o.ID) {
			bad("%s: id must be 2-32 lower-case letters, digits or _ (it is typed in commands)", where)
		} else if seen[o.ID] {
			bad("%s: id is used twice", where)
		}
		seen[o.ID] = true
		if o.Name == "" {
			bad("%s: name is missing", where)
		}
		switch o.Role {
		case RolePetugas, RoleKasi:
			if !units[o.Unit] {
				bad("%s: unit %q is not one of the units in kecamatan.yaml (%s)", where, o.Unit, strings.Join(c.Office.Units, ", "))
			}
		case RoleCamat, RoleAdmin:
			if o.Unit != "" && !units[o.Unit] {
				bad("%s: unit %q is not one of the units in kecamatan.yaml", where, o.Unit)
			}
		default:
			bad("%s: role %q is not one of petugas, kasi, camat, admin", where, y.Role)
		}
		// The file names each channel by its own key, as it always has.
		for _, contact := range [...]struct{ channel, raw string }{{"telegram", y.Telegram}, {"whatsapp", y.WhatsApp}} {
			if strings.TrimSpace(contact.raw) == "" {
				continue
			}
			rule := contactRules[contact.channel]
			addr := rule.normalize(contact.raw)
			if addr == "" {
				bad("%s: %s", where, rule.problem(contact.raw))
				continue
			}
			o.Contacts[contact.channel] = addr
		}
		s.Officers = append(s.Officers, o)
	}
	for unit, g := range y.Units {
		if !units[unit] {
			bad("units: %q is not one of the units in kecamatan.yaml", unit)
			continue
		}
		if g.TelegramGroup != "" {
			if _, err := strconv.ParseInt(g.TelegramGroup, 10, 64); err != nil {
				bad("units: %s: telegram_group must be the numeric group chat id (negative, e.g. -1001234567890)", unit)
			}
			s.UnitGroups[unit] = Contacts{"telegram": strings.TrimSpace(g.TelegramGroup)}
		}
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	return s, nil
}
