package office

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/leksono/sapa/locales"
)

// Problem is one thing wrong in the configuration, as `bot check` prints it.
type Problem struct {
	Where   string // file or file:line; empty when unknown
	Msg     string
	Hint    string // how to fix it; empty when there is nothing to add
	Warning bool   // the bot runs, but citizens would see something wrong
}

// String is the problem on one line: "file:line: problem; fix: hint".
func (p Problem) String() string {
	s := p.Msg
	if p.Warning {
		s = "warning: " + s
	}
	if p.Where != "" {
		s = p.Where + ": " + s
	}
	if p.Hint != "" {
		s += "; fix: " + p.Hint
	}
	return s
}

// Problems is an error made of configuration problems, one per line.
type Problems []Problem

func (l Problems) Error() string {
	lines := make([]string, len(l))
	for i, p := range l {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// FromError turns an error of a loader, or of a constructor that checks
// the configuration (conversation.New), into problems with their file,
// line and hint where the messages name them.
func FromError(err error) Problems {
	return (&Office{}).problems(err)
}

// Leaves splits joined errors, also below one wrapping prefix such as
// "invalid configuration: ", into the single errors they hold.
func Leaves(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, Leaves(e)...)
		}
		return out
	}
	if inner := errors.Unwrap(err); inner != nil {
		if _, ok := inner.(interface{ Unwrap() []error }); ok {
			return Leaves(inner)
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

// problems turns err into problems. A file the message names is shown
// under o.dir; the line of an officer named by id is looked up in o.files.
func (o *Office) problems(err error) Problems {
	var out Problems
	for _, e := range Leaves(err) {
		out = append(out, o.problem(strings.Join(strings.Fields(e.Error()), " ")))
	}
	return out
}

func (o *Office) problem(msg string) Problem {
	where := func(file string) string {
		if strings.HasPrefix(file, "locales/") {
			return file
		}
		return path.Join(filepath.ToSlash(o.dir), file)
	}
	if m := missingKeyRe.FindStringSubmatch(msg); m != nil {
		return Problem{Where: "locales/" + locales.DefaultLang, Msg: fmt.Sprintf("%s: missing locale key %q", m[1], m[2]), Hint: keyHint(m[2])}
	}
	if m := fileLineRe.FindStringSubmatch(msg); m != nil {
		return Problem{Where: where(m[1]) + ":" + m[2], Msg: m[3], Hint: hintFor(where(m[1]), m[3])}
	}
	if m := fileOpRe.FindStringSubmatch(msg); m != nil {
		p := Problem{Where: where(m[1]), Msg: m[2], Hint: hintFor(where(m[1]), m[2])}
		if l := yamlLineRe.FindStringSubmatch(m[2]); l != nil {
			p.Where += ":" + l[1]
		}
		return p
	}
	if m := filePrefixRe.FindStringSubmatch(msg); m != nil {
		p := Problem{Where: where(m[1]), Msg: m[2], Hint: hintFor(where(m[1]), m[2])}
		if l := yamlLineRe.FindStringSubmatch(m[2]); l != nil && strings.HasPrefix(m[2], "yaml:") {
			p.Where += ":" + l[1]
		} else if id := officerRe.FindStringSubmatch(m[2]); id != nil {
			if n := o.lineOfID(m[1], id[1]); n > 0 {
				p.Where += ":" + strconv.Itoa(n)
			}
		}
		return p
	}
	return Problem{Msg: msg}
}

// lineOfID is the line of file that declares "id: <id>", 0 when none does.
func (o *Office) lineOfID(file, id string) int {
	if o.files == nil {
		return 0
	}
	raw, err := fs.ReadFile(o.files, file)
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
	case strings.HasPrefix(key, "service."), strings.HasPrefix(key, "redirect."), strings.HasPrefix(key, "unit."), strings.HasPrefix(key, "field."):
		file = "services.yaml"
	case strings.HasPrefix(key, "staff."):
		file = "staff.yaml"
	case strings.HasPrefix(key, "report."):
		file = "report.yaml"
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
