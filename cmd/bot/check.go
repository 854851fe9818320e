package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/letters"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/report"
	"github.com/leksono/sapa/services"
)

// office is what an office configures: the catalog, staff and letter
// templates from configs/ (or CONFIG_DIR) and the texts from locales/.
type office struct {
	catalog *services.Catalog
	staff   *services.Staff
	letters *letters.Templates
	texts   *locales.Bundle
}

// problem is one thing wrong in the configuration, as check prints it.
type problem struct {
	where string // file or file:line; empty when unknown
	msg   string
	hint  string
}

func (p problem) String() string {
	s := p.msg
	if p.where != "" {
		s = p.where + ": " + s
	}
	if p.hint != "" {
		s += "; fix: " + p.hint
	}
	return s
}

// problemList is an error made of configuration problems, one per line.
type problemList []problem

func (l problemList) Error() string {
	lines := make([]string, len(l))
	for i, p := range l {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// check is the check command: it loads and checks configs/ and locales/ as
// start-up does, prints every problem and returns 1 if there is any.
func check(_ []string, out io.Writer, getenv func(string) string) int {
	cfg, err := readSettings(getenv)
	var problems problemList
	for _, e := range leaves(err) {
		problems = append(problems, problem{where: "environment", msg: e.Error()})
	}
	o, more := loadOffice(cfg)
	problems = append(problems, more...)
	if o != nil {
		problems = append(problems, checkEngineTexts(cfg, o)...)
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(out, p)
		}
		fmt.Fprintf(out, "%d problem(s) found\n", len(problems))
		return 1
	}
	fmt.Fprintln(out, o.summary())
	return 0
}

// summary is the line check prints when all is well.
func (o *office) summary() string {
	officers := 0
	for _, x := range o.staff.Officers {
		if x.Active {
			officers++
		}
	}
	return fmt.Sprintf("configuration OK: %d services, %d redirects, %d villages, %d officers, %d letter templates, languages: %s",
		len(o.catalog.Services), len(o.catalog.Redirects), len(o.catalog.Villages), officers, len(o.letters.Services()),
		strings.Join(o.texts.Langs(), ", "))
}

// configSource is the directory the office files are read from, and the
// name check shows for it.
func configSource(cfg settings) (fs.FS, string) {
	if cfg.ConfigDir != "" {
		return os.DirFS(cfg.ConfigDir), cfg.ConfigDir
	}
	return configs.FS, "configs"
}

// loadOffice reads the catalog, the staff and the texts and checks the
// catalog's texts exist. It returns nil and every problem when anything is
// wrong; serve and check both start with it.
func loadOffice(cfg settings) (*office, problemList) {
	fsys, dir := configSource(cfg)
	var problems problemList
	catalog, err := services.LoadCatalog(fsys)
	problems = append(problems, toProblems(err, dir, fsys)...)
	texts, err := locales.Load(locales.FS)
	problems = append(problems, toProblems(err, dir, fsys)...)
	var staff *services.Staff
	var templates *letters.Templates
	// Staff and letters are checked against the catalog's units and forms:
	// they wait for a catalog without problems.
	if catalog != nil {
		staff, err = services.LoadStaff(fsys, catalog)
		problems = append(problems, toProblems(err, dir, fsys)...)
		templates, err = letters.LoadTemplates(fsys, catalog)
		problems = append(problems, toProblems(err, dir, fsys)...)
	}
	if catalog != nil && texts != nil {
		problems = append(problems, toProblems(catalog.CheckKeys(texts.Has), dir, fsys)...)
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return &office{catalog: catalog, staff: staff, letters: templates, texts: texts}, nil
}

// checkEngineTexts checks the texts and word lists the engine itself
// needs, and the texts of the reports.
func checkEngineTexts(_ settings, o *office) problemList {
	return toProblems(errors.Join(conversation.CheckTexts(o.catalog, o.texts), report.CheckTexts(o.texts)), "", nil)
}

// leaves splits joined errors, also below one wrapping prefix such as
// "invalid configuration: ", into the single problems they hold.
func leaves(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	if inner := errors.Unwrap(err); inner != nil {
		if _, ok := inner.(interface{ Unwrap() []error }); ok {
			return leaves(inner)
		}
	}
	return []error{err}
}

var (
	// "services.yaml:42: ..." and "locales/id/citizen.yaml:7: ..."
	fileLineRe = regexp.MustCompile(`^([\w./-]+\.yaml):(\d+): (.*)$`)
	// "parse services.yaml: yaml: line 5: ..." and "read staff.yaml: ..."
	fileOpRe = regexp.MustCompile(`^(?:parse|read) ([\w./-]+\.yaml): (.*)$`)
	// "staff.yaml: officer "x": ..."
	filePrefixRe = regexp.MustCompile(`^([\w./-]+\.yaml): (.*)$`)
	yamlLineRe   = regexp.MustCompile(`line (\d+)`)
	missingKeyRe = regexp.MustCompile(`^(.*): missing locale key "([^"]+)"$`)
	// LoadStaff names an officer by id: "officer "budi": ..."
	officerRe = regexp.MustCompile(`^officer "([a-z0-9_]+)"`)
)

// toProblems turns a loader's error into problems, each with its file and
// line where the error names them and a hint how to fix it. dir is where
// the office files were read from, fsys the same directory (nil: none), in
// which the line of an officer named by id is looked up.
func toProblems(err error, dir string, fsys fs.FS) problemList {
	var out problemList
	for _, e := range leaves(err) {
		out = append(out, toProblem(strings.Join(strings.Fields(e.Error()), " "), dir, fsys)...)
	}
	return out
}

func toProblem(msg, dir string, fsys fs.FS) problemList {
	where := func(file string) string {
		if strings.HasPrefix(file, "locales/") {
			return file
		}
		return path.Join(filepath.ToSlash(dir), file)
	}
	if m := missingKeyRe.FindStringSubmatch(msg); m != nil {
		return problemList{{where: "locales/" + locales.DefaultLang, msg: fmt.Sprintf("%s: missing locale key %q", m[1], m[2]), hint: keyHint(m[2])}}
	}
	if m := fileLineRe.FindStringSubmatch(msg); m != nil {
		return problemList{{where: where(m[1]) + ":" + m[2], msg: m[3], hint: hintFor(where(m[1]), m[3])}}
	}
	if m := fileOpRe.FindStringSubmatch(msg); m != nil {
		p := problem{where: where(m[1]), msg: m[2], hint: hintFor(where(m[1]), m[2])}
		if l := yamlLineRe.FindStringSubmatch(m[2]); l != nil {
			p.where += ":" + l[1]
		}
		return problemList{p}
	}
	if m := filePrefixRe.FindStringSubmatch(msg); m != nil {
		p := problem{where: where(m[1]), msg: m[2], hint: hintFor(where(m[1]), m[2])}
		if l := yamlLineRe.FindStringSubmatch(m[2]); l != nil && strings.HasPrefix(m[2], "yaml:") {
			p.where += ":" + l[1]
		} else if o := officerRe.FindStringSubmatch(m[2]); o != nil {
			if n := lineOfID(fsys, m[1], o[1]); n > 0 {
				p.where += ":" + strconv.Itoa(n)
			}
		}
		return problemList{p}
	}
	return problemList{{msg: msg}}
}

// lineOfID is the line of file that declares "id: <id>", 0 when none does.
func lineOfID(fsys fs.FS, file, id string) int {
	if fsys == nil {
		return 0
	}
	raw, err := fs.ReadFile(fsys, file)
	if err != nil {
		return 0
	}
	re := regexp.MustCompile(`\bid:\s*["']?` + regexp.QuoteMeta(id) + `["']?\s*([,}#]|$)`)
	for i, line := range strings.Split(string(raw), "\n") {
		if re.MatchString(line) {
			return i + 1
		}
	}
	return 0
}

// keyHint says where a missing locale key goes.
func keyHint(key string) string {
	file := "citizen.yaml"
	switch {
	case strings.HasPrefix(key, "service."), strings.HasPrefix(key, "redirect."), strings.HasPrefix(key, "unit."):
		file = "services.yaml"
	case strings.HasPrefix(key, "staff."):
		file = "staff.yaml"
	}
	parts := strings.Split(key, ".")
	return fmt.Sprintf("add %s (nested as %s) to locales/%s/%s", key, strings.Join(parts, " > "), locales.DefaultLang, file)
}

// hintFor suggests a fix for a problem in file.
func hintFor(file, msg string) string {
	switch {
	case strings.Contains(msg, "file does not exist"), strings.Contains(msg, "no such file"):
		return "CONFIG_DIR must hold kecamatan.yaml, services.yaml, staff.yaml and letters/: start from a copy of configs/"
	case strings.Contains(msg, "its template, is missing"):
		return "copy a template of configs/letters/ to that name and adapt it, or remove letter: true"
	case strings.Contains(msg, "template of "):
		return "rename the file to the code of a service with letter: true, or remove it"
	case strings.HasPrefix(msg, "yaml: "):
		return "fix the YAML syntax at that line: indentation, a missing colon, or an unclosed quote"
	case strings.Contains(msg, " form needs field "), strings.Contains(msg, " form, not "):
		return "the bot reads this field by its name: give the form a field of that name and type (the fields each kind of form needs are listed at the top of services.yaml)"
	case strings.Contains(msg, "unknown key"):
		return "remove that key or correct its spelling"
	case strings.Contains(msg, "(use one of"), strings.Contains(msg, " is not one of "):
		return "write one of the listed values"
	case strings.Contains(msg, "duplicate"), strings.Contains(msg, "already defined"), strings.Contains(msg, "used twice"):
		return "keep one of them, or rename the other"
	case strings.Contains(msg, "missing"):
		return "add it at that place, as the other entries of " + path.Base(file) + " do"
	case strings.HasPrefix(file, "locales/"):
		return "compare with the other keys of " + file
	}
	return "see the comments at the top of " + file + " for what each key takes"
}
