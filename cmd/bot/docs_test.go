package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/leksono/sapa/office"
	"github.com/leksono/sapa/services"
	"github.com/leksono/sapa/store"
	"github.com/leksono/sapa/store/pgstore"
)

// root is the repository, seen from this package's directory.
const root = "../.."

// note is one line of a comment or document, and where it is.
type note struct {
	where string // file:line
	file  string // the file, relative to root
	text  string
}

// comments are the comments of configs/, its letters/ and locales/: whole
// comment lines, and in configs/ the comment after a value.
func comments(t *testing.T) []note {
	t.Helper()
	var out []note
	for _, pattern := range []string{"configs/*.yaml", "configs/letters/*.yaml", "locales/*/*.yaml"} {
		files, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: %v", pattern, err)
		}
		for _, f := range files {
			rel, _ := filepath.Rel(root, f)
			for i, line := range readLines(t, f) {
				text := strings.TrimSpace(line)
				if _, after, ok := strings.Cut(line, " # "); ok && !strings.HasPrefix(text, "#") && strings.HasPrefix(rel, "configs/") {
					text = "# " + after
				}
				if strings.HasPrefix(text, "#") {
					out = append(out, note{where: rel + ":" + strconv.Itoa(i+1), file: rel, text: strings.TrimSpace(strings.TrimLeft(text, "#"))})
				}
			}
		}
	}
	return out
}

// documentLines are every line of the given files.
func documentLines(t *testing.T, files ...string) []note {
	t.Helper()
	var out []note
	for _, f := range files {
		for i, line := range readLines(t, filepath.Join(root, f)) {
			out = append(out, note{where: f + ":" + strconv.Itoa(i+1), file: f, text: line})
		}
	}
	return out
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(string(raw), "\n")
}

var (
	// A file name or path: "locales/id/services.yaml", "kecamatan.yaml:42",
	// "locales/<lang>/*.yaml".
	pathRe = regexp.MustCompile(`(?:[\w<>*.-]+/)*[\w<>*-]+\.(?:yaml|go|txt)`)
	// A command line of the bot: "go run ./cmd/bot chat --as staff:<id>",
	// or "bot report --ikm" between backquotes.
	goRunRe  = regexp.MustCompile("go run \\./cmd/bot((?:[ \t]+[^\\s`#)]+)*)")
	quotedRe = regexp.MustCompile("`bot ([^`]*)`")
	// A ticket number, or its pattern "LKS-YYMMDD-NNNN".
	ticketRe        = regexp.MustCompile(`\b[A-Z]{2,5}-\d+-\d+\b`)
	ticketPatternRe = regexp.MustCompile(`\b[A-Z]{2,5}-[YMD]+-N+\b`)
	// A locale key, or the pattern of one: "service.<code>", "field.<name>.prompt".
	localeKeyRe = regexp.MustCompile(`\b([a-z_]+)\.(?:<[a-z]+>|[a-z_]+)`)
	localeFile  = regexp.MustCompile(`\blocales/[a-z]+/[a-z_]+\.yaml\b`)
)

// TestCommentsTellTheTruth checks what the comments of configs/ and
// locales/ name against the code and the repository (issue #24, 1): every
// file exists, every `go run ./cmd/bot` command (there and in README.md)
// is a subcommand with its flags, every ticket number has the format the
// case store gives, every locale key is in the file the comment sends the
// reader to, and the lists of field types and units are the real ones.
func TestCommentsTellTheTruth(t *testing.T) {
	notes := comments(t)
	docs := documentLines(t, "README.md")
	o, problems := office.Load("")
	if len(problems) > 0 {
		t.Fatal(problems)
	}

	t.Run("files", func(t *testing.T) {
		for _, n := range notes {
			for _, loc := range pathRe.FindAllStringIndex(n.text, -1) {
				name := n.text[loc[0]:loc[1]]
				if rest := n.text[loc[1]:]; len(rest) > 1 && rest[0] == '.' && rest[1] != ' ' {
					continue // a host name such as lapor.go.id
				}
				if !fileExists(t, n.file, name) {
					t.Errorf("%s: names %s, which does not exist", n.where, name)
				}
			}
		}
	})

	t.Run("commands", func(t *testing.T) {
		seen := 0
		for _, n := range append(notes, docs...) {
			for _, m := range goRunRe.FindAllStringSubmatch(n.text, -1) {
				checkCommand(t, n.where, m[1])
				seen++
			}
			for _, m := range quotedRe.FindAllStringSubmatch(n.text, -1) {
				checkCommand(t, n.where, m[1])
				seen++
			}
		}
		if seen < 5 {
			t.Errorf("only %d bot commands found: the patterns no longer match the documents", seen)
		}
	})

	t.Run("tickets", func(t *testing.T) {
		ctx := context.Background()
		dir := t.TempDir()
		keys, err := loadDataKeys(office.Settings{DataDir: dir}, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		cases, err := pgstore.OpenSQLite(ctx, filepath.Join(dir, "t.db"), store.CaseOptions(o.Catalog, keys.Keys))
		if err != nil {
			t.Fatal(err)
		}
		defer cases.Close()
		loc := o.Catalog.Office.Location
		// Locale texts show tickets to citizens as examples: those too.
		lines := append(append(notes, docs...), documentLines(t, localeFiles(t)...)...)
		seen := 0
		for _, n := range lines {
			for _, ticket := range ticketRe.FindAllString(n.text, -1) {
				seen++
				parts := strings.Split(ticket, "-")
				day, derr := time.ParseInLocation("060102", parts[1], loc)
				num, nerr := strconv.Atoi(parts[2])
				if derr != nil || nerr != nil || cases.Ticket(day, int64(num)) != ticket {
					t.Errorf("%s: ticket %s is not a ticket the bot gives, such as %s", n.where, ticket, cases.Ticket(time.Now(), 1))
				}
			}
			for _, pattern := range ticketPatternRe.FindAllString(n.text, -1) {
				seen++
				real := cases.Ticket(time.Date(2026, 12, 7, 9, 0, 0, 0, loc), 1)
				shape := regexp.MustCompile(`[YMDN]`).ReplaceAllString(pattern, `\d`)
				if !regexp.MustCompile("^" + shape + "$").MatchString(real) {
					t.Errorf("%s: ticket format %s does not fit %s, a ticket the bot gives", n.where, pattern, real)
				}
			}
		}
		if seen < 5 {
			t.Errorf("only %d tickets found: the patterns no longer match the documents", seen)
		}
	})

	t.Run("locale keys", func(t *testing.T) {
		tops := map[string]map[string]bool{} // locale file -> its top-level keys
		all := map[string]bool{}
		for _, f := range localeFiles(t) {
			tops[f] = topKeys(t, filepath.Join(root, f))
			for k := range tops[f] {
				all[k] = true
			}
		}
		for _, n := range notes {
			files := localeFile.FindAllString(n.text, -1)
			if len(files) == 0 {
				continue
			}
			for _, m := range localeKeyRe.FindAllStringSubmatch(n.text, -1) {
				if !all[m[1]] || slices.ContainsFunc(files, func(f string) bool { return tops[f][m[1]] }) {
					continue
				}
				t.Errorf("%s: sends the reader to %s for %s, which is not there", n.where, strings.Join(files, " or "), m[0])
			}
		}
	})

	t.Run("field types and units", func(t *testing.T) {
		used := map[string]bool{}
		for _, s := range o.Catalog.Services {
			for _, f := range s.Form {
				used[string(f.Type)] = true
			}
		}
		unitsRe := regexp.MustCompile(`units in kecamatan\.yaml \(([^)]*)\)`)
		typesRe := regexp.MustCompile(`^type\s+(.+)$`)
		found := 0
		for _, n := range notes {
			if m := typesRe.FindStringSubmatch(n.text); m != nil && n.file == "configs/services.yaml" {
				found++
				listed := strings.FieldsFunc(strings.ReplaceAll(m[1], " or ", ","), func(r rune) bool { return r == ',' || r == ' ' })
				for _, typ := range listed {
					if !services.FieldType(typ).Valid() {
						t.Errorf("%s: lists field type %q, which the catalog refuses", n.where, typ)
					}
				}
				for typ := range used {
					if !slices.Contains(listed, typ) {
						t.Errorf("%s: the field types leave out %q, which services.yaml uses", n.where, typ)
					}
				}
			}
			if m := unitsRe.FindStringSubmatch(n.text); m != nil {
				found++
				if got, want := m[1], strings.Join(o.Catalog.Office.Units, ", "); got != want {
					t.Errorf("%s: lists the units %s; kecamatan.yaml has %s", n.where, got, want)
				}
			}
		}
		if found != 2 {
			t.Errorf("found %d lists of field types and units in the comments, want 2", found)
		}
	})
}

// checkCommand checks the words after "bot": a subcommand (serve when the
// first is a flag or there is none) and flags it takes.
func checkCommand(t *testing.T, where, line string) {
	t.Helper()
	words := strings.Fields(line)
	name := "serve"
	if len(words) > 0 && !strings.HasPrefix(words[0], "-") {
		name, words = words[0], words[1:]
	}
	c, ok := lookup(name)
	if !ok {
		if name != "help" {
			t.Errorf("%s: `bot %s`: no such subcommand", where, line)
		}
		return
	}
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	c.setup(flags)
	for _, w := range words {
		if !strings.HasPrefix(w, "-") {
			continue // a flag's value, or a placeholder
		}
		flagName, _, _ := strings.Cut(strings.TrimLeft(strings.Trim(w, "[]"), "-"), "=")
		if flags.Lookup(flagName) == nil {
			t.Errorf("%s: `bot %s`: %s has no flag -%s", where, strings.TrimSpace(line), name, flagName)
		}
	}
}

// fileExists reports whether the file a comment of from names exists: a
// path from the repository's root, or a bare name in configs/, beside from
// or in locales/id/. <placeholders> match any name.
func fileExists(t *testing.T, from, name string) bool {
	t.Helper()
	name, _, _ = strings.Cut(name, ":")
	name = regexp.MustCompile(`<[a-z]+>`).ReplaceAllString(name, "*")
	candidates := []string{name}
	if !strings.Contains(name, "/") {
		candidates = []string{filepath.Join("configs", name), filepath.Join(filepath.Dir(from), name), filepath.Join("locales/id", name)}
	}
	for _, c := range candidates {
		if m, _ := filepath.Glob(filepath.Join(root, c)); len(m) > 0 {
			return true
		}
	}
	return false
}

// localeFiles are locales/*/*.yaml, relative to root.
func localeFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "locales/*/*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		files[i], _ = filepath.Rel(root, f)
	}
	return files
}

// topKeys are the top-level keys of a YAML file.
func topKeys(t *testing.T, path string) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	out := map[string]bool{}
	for k := range doc {
		out[k] = true
	}
	return out
}
