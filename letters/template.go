package letters

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/leksono/sapa/services"
)

// Where the letter settings live in a configuration directory.
const (
	kecamatanFile = "kecamatan.yaml"
	servicesFile  = "services.yaml"
	templateDir   = "letters"
)

// DefaultSignatory signs a template that names no signatory.
const DefaultSignatory = "camat"

// Templates are what an office decides about its letters: how numbers are
// written and who signs (the "letters" section of kecamatan.yaml), and one
// template per service that produces a letter (configs/letters/<code>.yaml).
// They are data: an office edits them, and LoadTemplates checks them.
type Templates struct {
	Number NumberFormat
	// Place is where letters are dated: "Leksono, 12 Desember 2026".
	Place       string
	Signatories map[string]Signatory
	byService   map[string]Template
}

// Signatory is who signs a letter.
type Signatory struct {
	// Title is the line or lines above the signature: "CAMAT LEKSONO", or
	// "a.n. CAMAT LEKSONO" and "Sekretaris Kecamatan" on two lines.
	Title string
	Name  string
	Rank  string // pangkat and golongan, optional
	NIP   string // optional
}

// Template is one service's letter. Its texts may hold {placeholders}: the
// name of any field of the service's form (written as the summary shows it,
// but the NIK and KK in full), {kecamatan} and {kabupaten}.
type Template struct {
	Service string
	Title   string // "SURAT KETERANGAN TIDAK MAMPU"
	// Class is the classification code (kode klasifikasi arsip) that the
	// number format's {class} prints.
	Class   string
	Opening string // the paragraph above the citizen's data
	Fields  []Line // the citizen's data, one line each
	Body    string // the paragraphs below it, separated by blank lines
	Closing string // the last paragraph
	// Signatory is a key of Templates.Signatories.
	Signatory string
	// Holder is the form field with the name of the person the letter is
	// for; verification shows it masked.
	Holder string
}

// Line is one line of the citizen's data in a letter: "Nama : Siti Aminah".
type Line struct {
	Label string
	Field string // a field of the service's form
}

// For returns the template of a service.
func (t *Templates) For(service string) (Template, bool) {
	if t == nil {
		return Template{}, false
	}
	tpl, ok := t.byService[service]
	return tpl, ok
}

// Services lists the services with a template, in no particular order.
func (t *Templates) Services() []string {
	out := make([]string, 0, len(t.byService))
	for s := range t.byService {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// officePlaceholders may appear in every template's texts.
var officePlaceholders = []string{"kecamatan", "kabupaten"}

var placeholderRe = regexp.MustCompile(`\{([^{}]*)\}`)

// printable are the field types a letter can print.
var printable = []services.FieldType{
	services.FieldNIK, services.FieldKK, services.FieldText, services.FieldChoice,
	services.FieldVillage, services.FieldDate, services.FieldPhone, services.FieldYesNo,
}

// LoadTemplates reads the letters section of kecamatan.yaml and the
// templates under letters/ of fsys, the office's configuration directory,
// and checks them against the catalog loaded from the same directory. It
// returns every problem found, joined, each naming its file and line
// ("letters/sktm.yaml:12: template "sktm": ..."), as services.LoadCatalog
// does: a service whose letter: true has no template, a template of a
// service that prints no letter, a field the service's form does not have,
// an unknown placeholder or signatory.
func LoadTemplates(fsys fs.FS, cat *services.Catalog) (*Templates, error) {
	l := &loader{}
	t := &Templates{Signatories: map[string]Signatory{}, byService: map[string]Template{}, Place: cat.Office.Name}
	t.Number, _ = ParseNumberFormat(DefaultNumberFormat)
	wanted := 0
	for _, s := range cat.Services {
		if s.Letter {
			wanted++
		}
	}
	if root := l.Read(fsys, kecamatanFile); root != nil {
		l.settings(root, t, wanted > 0)
	}
	files, err := fs.Glob(fsys, templateDir+"/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list letter templates: %w", err)
	}
	for _, file := range files {
		code := strings.TrimSuffix(path.Base(file), ".yaml")
		svc, ok := cat.Service(code)
		if !ok || !svc.Letter {
			l.At(file)
			why := fmt.Sprintf("no service %q in services.yaml", code)
			if ok {
				why = fmt.Sprintf("service %q does not say letter: true in services.yaml", code)
			}
			l.Errorf(&yaml.Node{Line: 1}, "", "template of %s; the file name must be the code of a service that produces a letter", why)
			continue
		}
		if root := l.Read(fsys, file); root != nil {
			tpl := l.template(root, svc, t)
			t.byService[svc.Code] = tpl
		}
	}
	for _, s := range cat.Services {
		if _, ok := t.byService[s.Code]; s.Letter && !ok && !slices.Contains(files, templateDir+"/"+s.Code+".yaml") {
			l.At(servicesFile)
			l.Errorf(&yaml.Node{Line: s.LetterLine}, fmt.Sprintf("service %q", s.Code),
				"letter: true, but %s/%s.yaml, its template, is missing", templateDir, s.Code)
		}
	}
	if err := l.Err(); err != nil {
		return nil, fmt.Errorf("invalid letter templates: %w", err)
	}
	return t, nil
}

// loader reads the letters section and the templates, collecting every
// problem with its file and line as the catalog's loader does.
type loader struct {
	services.ConfigFiles
}

// settings reads the letters section of kecamatan.yaml.
func (l *loader) settings(root *yaml.Node, t *Templates, needed bool) {
	var key, section *yaml.Node
	if root.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "letters" {
				key, section = root.Content[i], root.Content[i+1]
			}
		}
	}
	if section == nil {
		if needed {
			l.Errorf(root, "", "missing \"letters\" (number format, place and signatories), which services with letter: true need")
		}
		return
	}
	m := l.Mapping(section, "letters", "number", "place", "signatories")
	if s, n := m.Str("number", true); n != nil && s != "" {
		f, err := ParseNumberFormat(s)
		if err != nil {
			l.Errorf(n, "letters", "%v", err)
		} else {
			t.Number = f
		}
	}
	if s, n := m.Str("place", false); n != nil && s != "" {
		t.Place = s
	}
	signs := m.Value("signatories")
	if signs == nil || signs.Kind != yaml.MappingNode || len(signs.Content) == 0 {
		at := key
		if signs != nil {
			at = signs
		}
		l.Errorf(at, "letters", "\"signatories\" must map each signatory's key (camat, ...) to title, name, rank and nip")
		return
	}
	for i := 0; i+1 < len(signs.Content); i += 2 {
		key := signs.Content[i].Value
		ctx := fmt.Sprintf("letters, signatory %q", key)
		if _, dup := t.Signatories[key]; dup {
			l.Errorf(signs.Content[i], ctx, "duplicate signatory")
			continue
		}
		sm := l.Mapping(signs.Content[i+1], ctx, "title", "name", "rank", "nip")
		var s Signatory
		s.Title, _ = sm.Str("title", true)
		s.Name, _ = sm.Str("name", true)
		s.Rank, _ = sm.Str("rank", false)
		s.NIP, _ = sm.Str("nip", false)
		t.Signatories[key] = s
	}
}

// template reads one service's template.
func (l *loader) template(root *yaml.Node, svc services.Service, t *Templates) Template {
	ctx := fmt.Sprintf("template %q", svc.Code)
	m := l.Mapping(root, ctx, "title", "class", "opening", "fields", "body", "closing", "signatory", "holder")
	tpl := Template{Service: svc.Code}
	var cn *yaml.Node
	tpl.Class, cn = m.Str("class", false)
	if tpl.Class == "" && t.Number.UsesClass() {
		at := root
		if cn != nil {
			at = cn
		}
		l.Errorf(at, ctx, "missing \"class\", the classification code that the number format's {class} prints")
	}
	form := map[string]services.Field{}
	var names []string
	for _, f := range svc.Form {
		form[f.Name] = f
		names = append(names, f.Name)
	}
	checkText := func(key string, required bool) string {
		s, n := m.Str(key, required)
		if n == nil {
			return s
		}
		for _, match := range placeholderRe.FindAllStringSubmatchIndex(n.Value, -1) {
			name := n.Value[match[2]:match[3]]
			if _, ok := form[name]; ok || slices.Contains(officePlaceholders, name) {
				continue
			}
			l.Errorf(lineOf(n, match[0]), ctx, "%s: unknown placeholder {%s} (use a field of the form: %s; or %s)",
				key, name, strings.Join(names, ", "), "{"+strings.Join(officePlaceholders, "}, {")+"}")
		}
		return s
	}
	tpl.Title = checkText("title", true)
	tpl.Opening = checkText("opening", true)
	tpl.Body = checkText("body", false)
	tpl.Closing = checkText("closing", false)

	fields := m.Value("fields")
	if fields == nil || fields.Kind != yaml.SequenceNode || len(fields.Content) == 0 {
		at := root
		if fields != nil {
			at = fields
		}
		l.Errorf(at, ctx, "\"fields\" must list the citizen's data to print, as {label: Nama, field: nama}")
	} else {
		for _, it := range fields.Content {
			lm := l.Mapping(it, ctx+", fields", "label", "field")
			var line Line
			line.Label, _ = lm.Str("label", true)
			var fn *yaml.Node
			line.Field, fn = lm.Str("field", true)
			if fn == nil || line.Field == "" {
				continue
			}
			f, ok := form[line.Field]
			switch {
			case !ok:
				l.Errorf(fn, ctx, "field %q is not a field of service %q's form (it has: %s)", line.Field, svc.Code, strings.Join(names, ", "))
			case !slices.Contains(printable, f.Type):
				l.Errorf(fn, ctx, "field %q is a %s field, which a letter cannot print", line.Field, f.Type)
			}
			tpl.Fields = append(tpl.Fields, line)
		}
	}

	var sn *yaml.Node
	if tpl.Signatory, sn = m.Str("signatory", false); tpl.Signatory == "" {
		tpl.Signatory = DefaultSignatory
	}
	if _, ok := t.Signatories[tpl.Signatory]; !ok && len(t.Signatories) > 0 {
		at := root
		if sn != nil {
			at = sn
		}
		known := make([]string, 0, len(t.Signatories))
		for k := range t.Signatories {
			known = append(known, k)
		}
		slices.Sort(known)
		l.Errorf(at, ctx, "signatory %q is not under letters.signatories in kecamatan.yaml (it has: %s)", tpl.Signatory, strings.Join(known, ", "))
	}
	var hn *yaml.Node
	if tpl.Holder, hn = m.Str("holder", false); tpl.Holder == "" {
		tpl.Holder = "nama"
	}
	if f, ok := form[tpl.Holder]; !ok || f.Type != services.FieldText {
		at := root
		if hn != nil {
			at = hn
		}
		l.Errorf(at, ctx, "holder %q must be a text field of service %q's form naming the person the letter is for (set holder: to one of: %s)",
			tpl.Holder, svc.Code, strings.Join(names, ", "))
	}
	return tpl
}

// lineOf is a node standing for the line of byte offset off of n's value:
// a block scalar (|-) starts on the line after its key.
func lineOf(n *yaml.Node, off int) *yaml.Node {
	line := n.Line + strings.Count(n.Value[:off], "\n")
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		line++
	}
	return &yaml.Node{Line: line}
}
