package services

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	// The office time zone must load even on a host without tzdata (a
	// scratch or distroless container).
	_ "time/tzdata"

	"go.yaml.in/yaml/v3"
)

// The two files of a configuration directory.
const (
	kecamatanFile = "kecamatan.yaml"
	servicesFile  = "services.yaml"
)

var (
	regionCodeRe   = regexp.MustCompile(`^[0-9]{2}\.[0-9]{2}\.[0-9]{2}$`)
	villageCodeRe  = regexp.MustCompile(`^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$`)
	ticketPrefixRe = regexp.MustCompile(`^[A-Z]{2,5}$`)
	clockRe        = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
	// Codes and names end up in locale keys (service.<code>.name,
	// field.<name>.prompt), so they stay plain identifiers.
	codeRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

var villageKinds = []string{"desa", "kelurahan"}

// reservedFieldNames would collide with the shared locale keys field.error.*,
// field.yes and field.no.
var reservedFieldNames = []string{"error", "yes", "no"}

// LoadCatalog reads kecamatan.yaml and services.yaml from fsys and validates
// them. It returns every problem found, joined, each naming the file and line
// ("services.yaml:42: service "sktm", field "nik": unknown type ..."), so that
// an office fixes its configuration in one pass; a broken catalog never
// reaches a citizen.
func LoadCatalog(fsys fs.FS) (*Catalog, error) {
	l := &loader{}
	cat := &Catalog{}
	if root := l.readFile(fsys, kecamatanFile); root != nil {
		l.kecamatan(root, cat)
	}
	if root := l.readFile(fsys, servicesFile); root != nil {
		l.units = cat.Office.Units
		l.services(root, cat)
	}
	if len(l.errs) > 0 {
		return nil, fmt.Errorf("invalid configuration: %w", errors.Join(l.errs...))
	}
	if err := loadHandover(fsys, cat); err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	return cat, nil
}

// loader collects problems instead of stopping at the first one.
type loader struct {
	file  string
	errs  []error
	units []string // the units of kecamatan.yaml, to check choices that route to one
}

func (l *loader) errorf(n *yaml.Node, ctx, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	msg := fmt.Sprintf(format, args...)
	if ctx != "" {
		msg = ctx + ": " + msg
	}
	l.errs = append(l.errs, fmt.Errorf("%s:%d: %s", l.file, line, msg))
}

// readFile parses one file into its top-level mapping node, or records why it
// cannot and returns nil.
func (l *loader) readFile(fsys fs.FS, name string) *yaml.Node {
	l.file = name
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		l.errs = append(l.errs, fmt.Errorf("read %s: %w", name, err))
		return nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		l.errs = append(l.errs, fmt.Errorf("parse %s: %w", name, err))
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		l.errorf(&yaml.Node{Line: 1}, "", "empty file")
		return nil
	}
	return doc.Content[0]
}

// mapping is a YAML mapping whose keys were checked against the allowed ones.
type mapping struct {
	l    *loader
	node *yaml.Node
	ctx  string
	vals map[string]*yaml.Node
	keys map[string]*yaml.Node // the key nodes, for the line a key is on
}

// namedMapping is mapping for an entry identified by one of its keys (a
// service by its code, a field by its name): once the id is known, every
// message about the entry names it, including those about its keys.
func (l *loader) namedMapping(n *yaml.Node, idKey string, unnamed string, named func(id string) string, allowed ...string) *mapping {
	ctx := unnamed
	if r := resolve(n); r.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(r.Content); i += 2 {
			if k, v := resolve(r.Content[i]), resolve(r.Content[i+1]); k.Value == idKey && v.Kind == yaml.ScalarNode {
				if id := strings.TrimSpace(v.Value); id != "" {
					ctx = named(id)
				}
				break
			}
		}
	}
	return l.mapping(n, ctx, allowed...)
}

// mapping checks that n is a mapping with only allowed keys, each once.
func (l *loader) mapping(n *yaml.Node, ctx string, allowed ...string) *mapping {
	n = resolve(n)
	m := &mapping{l: l, node: n, ctx: ctx, vals: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	if n.Kind != yaml.MappingNode {
		l.errorf(n, ctx, "expected a mapping of %s", strings.Join(allowed, ", "))
		return m
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), n.Content[i+1]
		switch {
		case !contains(allowed, k.Value):
			l.errorf(k, ctx, "unknown key %q (use one of: %s)", k.Value, strings.Join(allowed, ", "))
		case m.vals[k.Value] != nil:
			l.errorf(k, ctx, "duplicate key %q", k.Value)
		default:
			m.vals[k.Value] = v
			m.keys[k.Value] = k
		}
	}
	return m
}

// get returns the value node of key, recording a problem when a required key
// is missing or empty.
func (m *mapping) get(key string, required bool) *yaml.Node {
	v := m.vals[key]
	if v != nil {
		v = resolve(v)
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			v = nil
		}
	}
	if v == nil && required && m.node.Kind == yaml.MappingNode {
		at := m.node
		if k := m.vals[key]; k != nil {
			at = k
		}
		m.l.errorf(at, m.ctx, "missing %q", key)
	}
	return v
}

func (m *mapping) scalar(key string, required bool) (*yaml.Node, bool) {
	v := m.get(key, required)
	if v == nil {
		return nil, false
	}
	if v.Kind != yaml.ScalarNode {
		m.l.errorf(v, m.ctx, "%q must be a single value", key)
		return nil, false
	}
	return v, true
}

// str returns a trimmed string value; a required one must not be blank.
func (m *mapping) str(key string, required bool) (string, *yaml.Node) {
	v, ok := m.scalar(key, required)
	if !ok {
		return "", v
	}
	s := strings.TrimSpace(v.Value)
	if s == "" && required {
		m.l.errorf(v, m.ctx, "%q must not be empty", key)
	}
	return s, v
}

func (m *mapping) integer(key string, required bool) (int, *yaml.Node, bool) {
	v, ok := m.scalar(key, required)
	if !ok {
		return 0, v, false
	}
	n, err := strconv.Atoi(v.Value)
	if err != nil {
		m.l.errorf(v, m.ctx, "%q must be a whole number, not %q", key, v.Value)
		return 0, v, false
	}
	return n, v, true
}

func (m *mapping) boolean(key string) (bool, *yaml.Node) {
	v, ok := m.scalar(key, false)
	if !ok {
		return false, v
	}
	b, err := strconv.ParseBool(v.Value)
	if err != nil {
		m.l.errorf(v, m.ctx, "%q must be true or false, not %q", key, v.Value)
	}
	return b, v
}

func (m *mapping) duration(key string) time.Duration {
	s, v := m.str(key, true)
	if v == nil || s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		m.l.errorf(v, m.ctx, "%q must be a positive duration like 24h or 30m, not %q", key, s)
		return 0
	}
	return d
}

// list returns the items of a sequence value.
func (m *mapping) list(key string, required bool) []*yaml.Node {
	v := m.get(key, required)
	if v == nil {
		return nil
	}
	if v.Kind != yaml.SequenceNode {
		m.l.errorf(v, m.ctx, "%q must be a list", key)
		return nil
	}
	if len(v.Content) == 0 && required {
		m.l.errorf(v, m.ctx, "%q must not be empty", key)
	}
	return v.Content
}

// words returns a list of non-blank strings.
func (m *mapping) words(key string, required bool) ([]string, []*yaml.Node) {
	var out []string
	var nodes []*yaml.Node
	for _, it := range m.list(key, required) {
		it = resolve(it)
		if it.Kind != yaml.ScalarNode || strings.TrimSpace(it.Value) == "" {
			m.l.errorf(it, m.ctx, "each of %q must be a non-empty word", key)
			continue
		}
		out = append(out, strings.TrimSpace(it.Value))
		nodes = append(nodes, it)
	}
	return out, nodes
}

// resolve follows YAML aliases (*name) to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 16; i++ {
		n = n.Alias
	}
	if n == nil {
		return &yaml.Node{}
	}
	return n
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// kecamatan reads the office profile and its villages.
func (l *loader) kecamatan(root *yaml.Node, cat *Catalog) {
	// "letters" (number format, signatories) is read by package letters,
	// with the templates it applies to.
	m := l.mapping(root, "", "name", "regency", "region_code", "ticket_prefix", "timezone", "address",
		"phone", "office_hours", "holidays", "units", "conversation", "reminders", "survey", "villages", "letters", "visits")
	o := &cat.Office
	o.Name, _ = m.str("name", true)
	o.Regency, _ = m.str("regency", true)
	o.Address, _ = m.str("address", true)
	o.Phone, _ = m.str("phone", true)

	var n *yaml.Node
	if o.RegionCode, n = m.str("region_code", true); n != nil && o.RegionCode != "" && !regionCodeRe.MatchString(o.RegionCode) {
		l.errorf(n, "", "region_code %q must look like \"33.07.05\"", o.RegionCode)
	}
	if o.TicketPrefix, n = m.str("ticket_prefix", true); n != nil && o.TicketPrefix != "" && !ticketPrefixRe.MatchString(o.TicketPrefix) {
		l.errorf(n, "", "ticket_prefix %q must be 2 to 5 capital letters A-Z", o.TicketPrefix)
	}
	if tz, n := m.str("timezone", true); n != nil && tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			l.errorf(n, "", "unknown timezone %q (for example Asia/Jakarta, Asia/Makassar, Asia/Jayapura)", tz)
		}
		o.Location = loc
	}

	if v := m.get("office_hours", true); v != nil {
		h := l.mapping(v, "office_hours", "open", "close")
		open, on := h.str("open", true)
		closing, cn := h.str("close", true)
		okOpen := l.clock(on, open, "office_hours", "open")
		okClose := l.clock(cn, closing, "office_hours", "close")
		if okOpen && okClose && open >= closing {
			l.errorf(on, "office_hours", "open %s must be before close %s", open, closing)
		}
		o.Hours = OfficeHours{Open: open, Close: closing}
	}

	seen := map[string]bool{}
	for _, it := range m.list("holidays", false) {
		it = resolve(it)
		t, err := time.Parse(dateLayout, it.Value)
		switch {
		case it.Kind != yaml.ScalarNode || err != nil || t.Format(dateLayout) != it.Value:
			l.errorf(it, "holidays", "%q is not a date written YYYY-MM-DD", it.Value)
		case seen[it.Value]:
			l.errorf(it, "holidays", "duplicate holiday %s", it.Value)
		default:
			seen[it.Value] = true
			o.Holidays = append(o.Holidays, it.Value)
		}
	}

	units, nodes := m.words("units", true)
	for i, u := range units {
		switch {
		case !codeRe.MatchString(u):
			l.errorf(nodes[i], "units", "unit %q must be lower-case letters, digits and _", u)
		case contains(o.Units, u):
			l.errorf(nodes[i], "units", "duplicate unit %q", u)
		default:
			o.Units = append(o.Units, u)
		}
	}

	if v := m.get("conversation", true); v != nil {
		c := l.mapping(v, "conversation", "draft_ttl", "resume_after", "max_retries")
		o.DraftTTL = c.duration("draft_ttl")
		o.ResumeAfter = c.duration("resume_after")
		if n, node, ok := c.integer("max_retries", true); ok {
			if n < 1 {
				l.errorf(node, "conversation", "max_retries must be at least 1, not %d", n)
			}
			o.MaxRetries = n
		}
	}

	if v := m.get("reminders", true); v != nil {
		r := l.mapping(v, "reminders", "at", "escalate_after_days")
		at, an := r.str("at", true)
		if l.clock(an, at, "reminders", "at") {
			o.RemindAt = at
		}
		if n, node, ok := r.integer("escalate_after_days", true); ok {
			if n < 1 {
				l.errorf(node, "reminders", "escalate_after_days must be at least 1, not %d", n)
			}
			o.EscalateAfterDays = n
		}
	}

	o.IKMWeighting = WeightingRegulation
	if v := m.get("survey", false); v != nil {
		s := l.mapping(v, "survey", "published_weight", "yearly_users")
		if w, n := s.str("published_weight", false); n != nil {
			weighting, err := ParseIKMWeighting(w)
			if err != nil {
				l.errorf(n, "survey", "published_weight %q must be \"0.11\" (the regulation's printed weight) or \"1/9\" (exact)", w)
			}
			o.IKMWeighting = cmp.Or(weighting, WeightingRegulation)
		}
		if n, node, ok := s.integer("yearly_users", false); ok {
			if n < 0 {
				l.errorf(node, "survey", "yearly_users must be 0 (count the cases) or more, not %d", n)
			}
			o.YearlyUsers = n
		}
	}

	if v := m.get("visits", false); v != nil {
		l.visits(v, o)
	}

	names := map[string]bool{}
	for i, it := range m.list("villages", true) {
		vm := l.namedMapping(it, "code", fmt.Sprintf("village #%d", i+1), quoted("village"), "code", "name", "kind")
		ctx := vm.ctx
		var v Village
		var cn, nn, kn *yaml.Node
		v.Code, cn = vm.str("code", true)
		v.Name, nn = vm.str("name", true)
		v.Kind, kn = vm.str("kind", true)
		if cn != nil && v.Code != "" {
			switch {
			case !villageCodeRe.MatchString(v.Code):
				l.errorf(cn, ctx, "code must look like %q", exampleVillageCode(o.RegionCode))
			case o.RegionCode != "" && !strings.HasPrefix(v.Code, o.RegionCode+"."):
				l.errorf(cn, ctx, "code must start with region_code %q", o.RegionCode)
			case cat.hasVillage(v.Code):
				l.errorf(cn, ctx, "duplicate village code")
			}
		}
		if key := normalize(v.Name); nn != nil && key != "" {
			if names[key] {
				// Citizens pick a village by name: two equal names are ambiguous.
				l.errorf(nn, ctx, "duplicate village name %q", v.Name)
			}
			names[key] = true
		}
		if kn != nil && v.Kind != "" && !contains(villageKinds, v.Kind) {
			l.errorf(kn, ctx, "unknown kind %q (use one of: %s)", v.Kind, strings.Join(villageKinds, ", "))
		}
		cat.Villages = append(cat.Villages, v)
	}
}

func (c *Catalog) hasVillage(code string) bool {
	_, ok := c.Village(code)
	return ok
}

func exampleVillageCode(region string) string {
	if region == "" {
		region = "33.07.05"
	}
	return region + ".2001"
}

// clock checks an "HH:MM" time of day.
func (l *loader) clock(n *yaml.Node, s, ctx, key string) bool {
	if n == nil || s == "" {
		return false
	}
	if !clockRe.MatchString(s) {
		l.errorf(n, ctx, "%s %q must be a time written HH:MM, like \"07:30\"", key, s)
		return false
	}
	return true
}

// services reads the catalog of services and redirects. The units come from
// kecamatan.yaml, already read into cat.Office.
func (l *loader) services(root *yaml.Node, cat *Catalog) {
	m := l.mapping(root, "", "services", "redirects", "referrals", "reuse", "reuse_documents")
	keywords := map[string]string{} // normalized keyword -> owner, to catch one word leading to two places
	claim := func(owner string, words []string, nodes []*yaml.Node) {
		for i, w := range words {
			k := normalize(w)
			if prev, taken := keywords[k]; taken && prev != owner {
				l.errorf(nodes[i], owner, "keyword %q is also a keyword of %s", w, prev)
				continue
			}
			keywords[k] = owner
		}
	}

	for i, it := range m.list("services", true) {
		s, ok := l.service(it, i, cat)
		if !ok {
			continue
		}
		cat.Services = append(cat.Services, s.Service)
		claim(fmt.Sprintf("service %q", s.Code), s.Keywords, s.keywordNodes)
		claim(fmt.Sprintf("service %q", s.Code), s.Synonyms, s.synonymNodes)
	}
	for i, it := range m.list("redirects", false) {
		rm := l.namedMapping(it, "code", fmt.Sprintf("redirect #%d", i+1), quoted("redirect"), "code", "keywords", "synonyms")
		ctx := rm.ctx
		var r Redirect
		code, cn := rm.str("code", true)
		r.Code = code
		var kn, sn []*yaml.Node
		r.Keywords, kn = rm.words("keywords", true)
		r.Synonyms, sn = rm.words("synonyms", false)
		if cn == nil || code == "" {
			continue
		}
		switch {
		case !codeRe.MatchString(code):
			l.errorf(cn, ctx, "code must be lower-case letters, digits and _")
		case hasRedirect(cat, code):
			l.errorf(cn, ctx, "duplicate redirect code")
		case hasService(cat, code):
			l.errorf(cn, ctx, "code is also a service code")
		}
		cat.Redirects = append(cat.Redirects, r)
		claim(ctx, r.Keywords, kn)
		claim(ctx, r.Synonyms, sn)
	}
	for i, it := range m.list("referrals", false) {
		rm := l.namedMapping(it, "code", fmt.Sprintf("referral #%d", i+1), quoted("referral"), "code", "keywords")
		var r Referral
		code, cn := rm.str("code", true)
		r.Code = code
		var kn []*yaml.Node
		r.Keywords, kn = rm.words("keywords", false)
		if cn == nil || code == "" {
			continue
		}
		if !codeRe.MatchString(code) {
			l.errorf(cn, rm.ctx, "code must be lower-case letters, digits and _")
		} else if _, dup := cat.Referral(code); dup {
			l.errorf(cn, rm.ctx, "duplicate referral code")
		}
		cat.Referrals = append(cat.Referrals, r)
		claim(rm.ctx, r.Keywords, kn)
	}
	reuse, nodes := m.words("reuse", false)
	for i, name := range reuse {
		switch {
		case !slices.ContainsFunc(cat.Services, func(s Service) bool { return s.Kind == KindRequest && s.hasField(name) }):
			l.errorf(nodes[i], "reuse", "%q is not a field of any request form", name)
		case contains(cat.Reuse, name):
			l.errorf(nodes[i], "reuse", "%q is listed twice", name)
		default:
			cat.Reuse = append(cat.Reuse, name)
		}
	}
	l.reuseDocuments(m, cat)
}

func (s Service) hasField(name string) bool {
	return slices.ContainsFunc(s.Form, func(f Field) bool { return f.Name == name })
}

// quoted names an entry by its id: service "sktm".
func quoted(kind string) func(id string) string {
	return func(id string) string { return fmt.Sprintf("%s %q", kind, id) }
}

func hasService(c *Catalog, code string) bool {
	_, ok := c.Service(code)
	return ok
}

func hasRedirect(c *Catalog, code string) bool {
	_, ok := c.Redirect(code)
	return ok
}

// loadedService is a service with the nodes of its keywords and synonyms,
// for messages.
type loadedService struct {
	Service
	keywordNodes, synonymNodes []*yaml.Node
}

func (l *loader) service(n *yaml.Node, i int, cat *Catalog) (loadedService, bool) {
	m := l.namedMapping(n, "code", fmt.Sprintf("service #%d", i+1), quoted("service"), "code", "kind", "unit", "days", "keywords", "synonyms", "form", "letter", "visit", "requirements")
	ctx := m.ctx
	var s loadedService
	code, cn := m.str("code", true)
	s.Code = code
	if cn != nil && code != "" {
		switch {
		case !codeRe.MatchString(code):
			l.errorf(cn, ctx, "code must be lower-case letters, digits and _")
		case hasService(cat, code):
			l.errorf(cn, ctx, "duplicate service code")
		}
	}
	switch kind, kn := m.str("kind", false); kind {
	case "", string(KindRequest):
		s.Kind = KindRequest
	case string(KindComplaint):
		s.Kind = KindComplaint
	default:
		l.errorf(kn, ctx, "kind %q is not request or complaint", kind)
	}
	unit, un := m.str("unit", true)
	s.Unit = unit
	// Without a valid unit list every service would be reported too: the
	// problem is already reported in kecamatan.yaml.
	if un != nil && unit != "" && len(cat.Office.Units) > 0 && !contains(cat.Office.Units, unit) {
		l.errorf(un, ctx, "unknown unit %q (kecamatan.yaml lists: %s)", unit, strings.Join(cat.Office.Units, ", "))
	}
	if days, dn, ok := m.integer("days", true); ok {
		if days < 1 {
			l.errorf(dn, ctx, "days must be at least 1, not %d", days)
		}
		s.Days = days
	}
	s.Keywords, s.keywordNodes = m.words("keywords", false)
	s.Synonyms, s.synonymNodes = m.words("synonyms", false)
	if letter, ln := m.boolean("letter"); ln != nil {
		switch {
		case letter && s.Kind == KindComplaint:
			l.errorf(ln, ctx, "a complaint produces no letter: remove \"letter\"")
		case letter:
			s.Letter, s.LetterLine = true, ln.Line
		}
	}
	l.visitPurpose(m, ctx, &s, cat.Office.Visits)
	names := map[string]*yaml.Node{}
	for _, fn := range m.list("form", true) {
		f, ok := l.field(fn, ctx)
		if !ok {
			continue
		}
		if names[f.Name] != nil {
			l.errorf(fn, ctx, "duplicate field %q", f.Name)
			continue
		}
		if f.SkipIf != nil && names[f.SkipIf.Field] == nil {
			l.errorf(fn, ctx, "field %q: skip_if names %q, which is not an earlier field of this form", f.Name, f.SkipIf.Field)
		}
		names[f.Name] = fn
		s.Form = append(s.Form, f)
	}
	if len(s.Form) > 0 {
		l.requiredFields(m.keys["form"], ctx, s.Kind, s.Form, names)
	}
	s.Requirements = l.requirements(m, ctx, s.Service, names)
	return s, code != ""
}

// requiredFields checks that a form has the fields the bot reads by name
// for its kind, with their types and values. A field whose type is already
// reported as unknown is not reported again.
func (l *loader) requiredFields(formKey *yaml.Node, ctx string, kind Kind, form []Field, nodes map[string]*yaml.Node) {
	for _, req := range RequiredFields[kind] {
		i := slices.IndexFunc(form, func(f Field) bool { return f.Name == req.Name })
		if i < 0 {
			l.errorf(formKey, ctx, "a %s form needs field %q (type %s): %s", kind, req.Name, req.Type, req.Why)
			continue
		}
		f, at := form[i], nodes[req.Name]
		fctx := fmt.Sprintf("%s, field %q", ctx, f.Name)
		if !f.Type.Valid() {
			continue
		}
		if f.Type != req.Type {
			l.errorf(at, fctx, "type must be %s in a %s form, not %s: %s", req.Type, kind, f.Type, req.Why)
			continue
		}
		for _, c := range f.Choices {
			if len(req.Values) > 0 && !contains(req.Values, c.Value) {
				l.errorf(at, fctx, "choice value %q is not one of %s: %s", c.Value, strings.Join(req.Values, ", "), req.Why)
			}
		}
	}
}

func (l *loader) field(n *yaml.Node, svcCtx string) (Field, bool) {
	m := l.namedMapping(n, "name", svcCtx+", field", func(id string) string { return fmt.Sprintf("%s, field %q", svcCtx, id) },
		"name", "type", "min", "max", "choices", "not_future", "not_past", "prompt", "label", "optional", "max_files", "skip_if",
		"title_case", "min_files", "original", "keywords")
	ctx := m.ctx
	var f Field
	name, nn := m.str("name", true)
	if name != "" {
		switch {
		case !codeRe.MatchString(name):
			l.errorf(nn, ctx, "name must be lower-case letters, digits and _")
		case contains(reservedFieldNames, name):
			l.errorf(nn, ctx, "name %q is reserved for shared texts", name)
		}
	}
	f.Name = name
	typ, tn := m.str("type", true)
	f.Type = FieldType(typ)
	if tn != nil && typ != "" && !f.Type.Valid() {
		names := make([]string, len(knownFieldTypes))
		for i, t := range knownFieldTypes {
			names[i] = string(t)
		}
		l.errorf(tn, ctx, "unknown type %q (use one of: %s)", typ, strings.Join(names, ", "))
	}
	f.Prompt, _ = m.str("prompt", false)
	f.Label, _ = m.str("label", false)

	// Options that only make sense for one type are errors elsewhere: a
	// "min" on a date would silently do nothing.
	onlyFor := func(key string, t FieldType) *yaml.Node {
		v := m.vals[key]
		if v != nil && f.Type != t && f.Type.Valid() {
			l.errorf(v, ctx, "%q applies only to %s fields", key, t)
		}
		return v
	}
	var minN, maxN *yaml.Node
	var okMin, okMax bool
	if onlyFor("min", FieldText) != nil {
		f.Min, minN, okMin = m.integer("min", false)
	}
	if onlyFor("max", FieldText) != nil {
		f.Max, maxN, okMax = m.integer("max", false)
	}
	if okMin && f.Min < 0 {
		l.errorf(minN, ctx, "min must not be negative")
	}
	if okMax && f.Max < 1 {
		l.errorf(maxN, ctx, "max must be at least 1")
	}
	if okMin && okMax && f.Max > 0 && f.Min > f.Max {
		l.errorf(minN, ctx, "min %d is greater than max %d", f.Min, f.Max)
	}
	if onlyFor("not_future", FieldDate) != nil {
		f.NotFuture, _ = m.boolean("not_future")
	}
	if onlyFor("not_past", FieldDate) != nil {
		f.NotPast, _ = m.boolean("not_past")
	}
	f.Optional, _ = m.boolean("optional")
	if onlyFor("title_case", FieldText) != nil {
		f.TitleCase, _ = m.boolean("title_case")
	}
	if v := m.vals["max_files"]; v != nil && f.Type != FieldPhotos && f.Type != FieldDocument && f.Type.Valid() {
		l.errorf(v, ctx, "%q applies only to %s and %s fields", "max_files", FieldPhotos, FieldDocument)
	} else if v != nil {
		var fn *yaml.Node
		var ok bool
		if f.MaxFiles, fn, ok = m.integer("max_files", false); ok && (f.MaxFiles < 1 || f.MaxFiles > 10) {
			l.errorf(fn, ctx, "max_files must be 1 to 10, not %d", f.MaxFiles)
		}
	}
	if f.Type == FieldPhotos && f.MaxFiles == 0 {
		f.MaxFiles = 3
	}
	if v := m.vals["skip_if"]; v != nil {
		cm := l.mapping(v, ctx+", skip_if", "field", "is")
		field, _ := cm.str("field", true)
		is, _ := cm.str("is", true)
		f.SkipIf = &Condition{Field: field, Is: is}
	}
	if onlyFor("choices", FieldChoice) != nil || f.Type == FieldChoice {
		f.Choices = l.choices(m, ctx, f.Type == FieldChoice)
	}
	if f.Type == FieldDocument {
		l.document(m, ctx, &f)
	} else {
		onlyFor("min_files", FieldDocument)
		onlyFor("original", FieldDocument)
		onlyFor("keywords", FieldDocument)
	}
	return f, name != ""
}

func (l *loader) choices(m *mapping, ctx string, required bool) []Choice {
	var out []Choice
	for i, it := range m.list("choices", required) {
		cm := l.mapping(it, fmt.Sprintf("%s, choice #%d", ctx, i+1), "value", "label", "label_key", "keywords", "unit")
		var c Choice
		var vn *yaml.Node
		c.Value, vn = cm.str("value", true)
		c.Label, _ = cm.str("label", false)
		c.LabelKey, _ = cm.str("label_key", false)
		c.Keywords, _ = cm.words("keywords", false)
		var un *yaml.Node
		if c.Unit, un = cm.str("unit", false); c.Unit != "" && len(l.units) > 0 && !contains(l.units, c.Unit) {
			l.errorf(un, cm.ctx, "unknown unit %q (kecamatan.yaml lists: %s)", c.Unit, strings.Join(l.units, ", "))
		}
		if c.Label == "" && c.LabelKey == "" {
			l.errorf(cm.node, cm.ctx, "needs label_key (a locale key) or label")
		}
		for _, prev := range out {
			if c.Value != "" && prev.Value == c.Value {
				l.errorf(vn, cm.ctx, "duplicate choice value %q", c.Value)
			}
		}
		out = append(out, c)
	}
	return out
}

// serviceKeyParts are the locale texts of every service: its name and the six
// parts of its service standard.
var serviceKeyParts = []string{"name", "requirements", "procedure", "time", "cost", "product", "complaint"}

// keyRef is a locale key and the first part of the catalog that uses it.
type keyRef struct {
	key   string
	owner string
}

func (c *Catalog) keyRefs() []keyRef {
	var refs []keyRef
	seen := map[string]bool{}
	add := func(owner string, keys ...string) {
		for _, k := range keys {
			if !seen[k] {
				seen[k] = true
				refs = append(refs, keyRef{key: k, owner: owner})
			}
		}
	}
	for _, s := range c.Services {
		owner := fmt.Sprintf("service %q", s.Code)
		parts := serviceKeyParts
		if len(s.Requirements) > 0 {
			// The requirements are the listed documents' labels.
			parts = slices.DeleteFunc(slices.Clone(parts), func(p string) bool { return p == "requirements" })
		}
		if s.Kind == KindComplaint {
			// A complaint has no service standard to show: its name, and the
			// sentence that explains it, are its texts.
			parts = []string{"name", "intro"}
		}
		for _, p := range parts {
			add(owner, "service."+s.Code+"."+p)
		}
		for _, r := range s.Requirements {
			if r.AtPickup {
				add(fmt.Sprintf("%s, requirement %q", owner, r.Name), "field."+r.Name+".label")
			}
		}
		for _, f := range s.Form {
			fo := fmt.Sprintf("%s, field %q", owner, f.Name)
			if f.Type == FieldDocument {
				// The documents are asked together (document.ask), each
				// by its label.
				add(fo, f.LabelKey())
				continue
			}
			add(fo, f.PromptKey(), f.LabelKey())
			for _, ch := range f.Choices {
				if ch.LabelKey != "" {
					add(fo, ch.LabelKey)
				}
			}
			if f.Type == FieldYesNo {
				add(fo, yesLabelKey, noLabelKey)
			}
		}
	}
	for _, r := range c.Redirects {
		owner := fmt.Sprintf("redirect %q", r.Code)
		add(owner, "redirect."+r.Code+".name", "redirect."+r.Code+".text")
	}
	for _, r := range c.Referrals {
		add(fmt.Sprintf("referral %q", r.Code), "referral."+r.Code+".name", "referral."+r.Code+".text")
	}
	for _, u := range c.Office.Units {
		add(fmt.Sprintf("unit %q", u), "unit."+u)
	}
	return refs
}

// Keys lists, once each and in catalog order, every locale key the catalog
// refers to: service.<code>.{name,requirements,procedure,time,cost,product,
// complaint}; each field's prompt and label keys and its choices' label keys
// (field.yes and field.no for a yesno field); redirect.<code>.{name,text};
// and unit.<code>. Keys of Field.Parse problems are in ProblemKeys.
func (c *Catalog) Keys() []string {
	refs := c.keyRefs()
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.key
	}
	return out
}

// CheckKeys reports every key of Keys for which has is false, naming the
// service, field, redirect or unit that first needs it.
func (c *Catalog) CheckKeys(has func(key string) bool) error {
	var errs []error
	for _, r := range c.keyRefs() {
		if !has(r.key) {
			errs = append(errs, fmt.Errorf("%s: missing locale key %q", r.owner, r.key))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("catalog texts: %w", errors.Join(errs...))
	}
	return nil
}
