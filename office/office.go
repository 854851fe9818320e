// Package office loads and checks what one kecamatan office configures:
// the service catalog, the office profile, the staff and the letter
// templates in configs/ (or CONFIG_DIR), the texts in locales/, and the
// settings of its installation in the environment (Settings). It turns every problem the
// loaders find into one line an office's IT volunteer can act on
// ("file:line: problem; fix: hint"), and warns about what is valid but
// still wrong for citizens (placeholders, a year without holidays). The bot
// refuses to start on a problem; `bot check` prints problems and warnings.
package office

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/leksono/sapa/configs"
	"github.com/leksono/sapa/conversation"
	"github.com/leksono/sapa/letters"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/report"
	"github.com/leksono/sapa/services"
)

// Office is a loaded and checked configuration.
type Office struct {
	Catalog *services.Catalog
	Staff   *services.Staff
	Letters *letters.Templates
	Texts   *locales.Bundle

	files fs.FS  // where the office files were read from
	dir   string // their directory as problems name it
}

// Load reads the office files from configDir, or from the Leksono
// configuration built into the binary when configDir is "", and the texts
// from locales/, and checks that everything the engine and the reports need
// is there. It returns nil and every problem when anything is wrong.
func Load(configDir string) (*Office, Problems) {
	o := &Office{files: configs.FS, dir: "configs"}
	if configDir != "" {
		o.files, o.dir = os.DirFS(configDir), configDir
	}
	var problems Problems
	add := func(err error) { problems = append(problems, o.problems(err)...) }
	var err error
	o.Catalog, err = services.LoadCatalog(o.files)
	add(err)
	o.Texts, err = locales.Load(locales.FS)
	add(err)
	// Staff and letters are checked against the catalog's units and forms:
	// they wait for a catalog without problems.
	if o.Catalog != nil {
		o.Staff, err = services.LoadStaff(o.files, o.Catalog)
		add(err)
		o.Letters, err = letters.LoadTemplates(o.files, o.Catalog)
		add(err)
	}
	if o.Catalog != nil && o.Texts != nil {
		add(errors.Join(conversation.CheckTexts(o.Catalog, o.Texts), report.CheckTexts(o.Texts)))
	}
	if len(problems) > 0 {
		return nil, problems
	}
	return o, nil
}

// Check is what `bot check` prints: every problem of the settings (their
// error, whose parts are named "environment") and of the configuration in
// configDir, or when there is none the warnings of the settings
// (settingWarnings), those of the configuration at now, and a summary. ok
// is false when there is a problem.
func Check(configDir string, settings error, settingWarnings Problems, now time.Time) (text string, ok bool) {
	var problems Problems
	for _, err := range Leaves(settings) {
		problems = append(problems, Problem{Where: "environment", Msg: err.Error()})
	}
	o, more := Load(configDir)
	if problems = append(problems, more...); len(problems) > 0 {
		return fmt.Sprintf("%v\n%d problem(s) found\n", problems, len(problems)), false
	}
	var b strings.Builder
	warnings := slices.Concat(settingWarnings, o.Warnings(now))
	for _, w := range warnings {
		b.WriteString(w.String() + "\n")
	}
	if len(warnings) > 0 {
		fmt.Fprintf(&b, "configuration OK with %d warning(s): %s\n", len(warnings), o.Summary())
	} else {
		fmt.Fprintf(&b, "configuration OK: %s\n", o.Summary())
	}
	return b.String(), true
}

// Summary is the line `bot check` prints when the configuration loads.
func (o *Office) Summary() string {
	officers := 0
	for _, x := range o.Staff.Officers {
		if x.Active {
			officers++
		}
	}
	return fmt.Sprintf("%d services, %d redirects, %d villages, %d officers, %d letter templates, languages: %s",
		len(o.Catalog.Services), len(o.Catalog.Redirects), len(o.Catalog.Villages), officers, len(o.Letters.Services()),
		strings.Join(o.Texts.Langs(), ", "))
}
