package casework

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/leksono/sapa/consultation"
	"github.com/leksono/sapa/services"
)

// ShellArgs are the arguments of one consultation action typed at the
// server's shell (`bot konsultasi <action> ...`): the same actions as the
// console's, acted by officer, read and written in lang.
type ShellArgs struct {
	Action  string   // periksa, terbit, tutup, tanggapan, hasil, kutip, ekspor
	Args    []string // the action's arguments
	Officer services.Officer
	Lang    string
	Catalog *services.Catalog
	In      io.Reader // a response given as "-"
	Out     io.Writer
}

// ShellArity is how many arguments each shell action takes.
var ShellArity = map[string]int{"periksa": 1, "terbit": 1, "tutup": 1, "hasil": 1, "tanggapan": 2, "kutip": 2, "ekspor": 2}

// ShellUsage is printed for a wrong action or arguments.
const ShellUsage = `usage: bot konsultasi periksa <file.yaml>          check a consultation or announcement file and show it as citizens will read it
       bot konsultasi terbit <file.yaml>           publish it (subscribers are told, at most one announcement a day each)
       bot konsultasi tutup <code>                 close a consultation early; everyone who answered gets the result
       bot konsultasi tanggapan <code> <file.txt>  write the office's response (- reads it from stdin)
       bot konsultasi hasil <code>                 results, comments, bursts of new identities, sending progress
       bot konsultasi kutip <code> <comment>       quote a comment (by its number in hasil) in the public result
       bot konsultasi ekspor <code> <file.xlsx>    the workbook of a consultation`

// ReadFile reads a consultation or announcement file from the shell's
// path, checked as the console checks a pasted one.
func (c Consultations) ReadFile(name string, cat *services.Catalog) (consultation.File, error) {
	return consultation.ReadFile(os.DirFS(filepath.Dir(name)), filepath.Base(name), cat, c.now())
}

// Preview is a file as citizens will read it.
func Preview(m consultation.Messages, lang string, f consultation.File) string {
	if f.Announcement != nil {
		return m.Announcement(lang, *f.Announcement) + "\n\n(" + m.Scope(lang, f.Announcement.Village) + ")"
	}
	c := f.Consultation
	lines := []string{c.Title, c.Background, c.Question}
	for i, o := range c.Options {
		lines = append(lines, fmt.Sprintf("  %d. %s", i+1, o.Label))
	}
	lines = append(lines, "", fmt.Sprintf("(%s, %s, %s)", c.Kind, m.Scope(lang, c.Village), c.Closes.Format("2006-01-02 15:04")))
	return strings.Join(lines, "\n")
}

// Shell runs one action of `bot konsultasi` on the store (every action
// but periksa, which needs none) and prints what it did.
func (c Consultations) Shell(ctx context.Context, a ShellArgs) error {
	say := func(key string, args map[string]string) {
		fmt.Fprintln(a.Out, c.Messages.Texts.T(a.Lang, "consultation.cli."+key, args))
	}
	var q Queued
	var err error
	switch a.Action {
	case "terbit":
		file, rerr := c.ReadFile(a.Args[0], a.Catalog)
		if rerr != nil {
			return rerr
		}
		q, err = c.Publish(ctx, a.Officer, file)
	case "tutup":
		q, err = c.Close(ctx, a.Officer, a.Args[0])
	case "tanggapan":
		var text []byte
		if a.Args[1] == "-" {
			text, err = io.ReadAll(a.In)
		} else {
			text, err = os.ReadFile(a.Args[1])
		}
		if err != nil {
			return fmt.Errorf("read the response: %w", err)
		}
		if strings.TrimSpace(string(text)) == "" {
			return errors.New("the response is empty")
		}
		q, err = c.Respond(ctx, a.Officer, a.Args[0], string(text))
	case "kutip":
		id, perr := strconv.ParseInt(a.Args[1], 10, 64)
		if perr != nil {
			return fmt.Errorf("comment %q: give its number as hasil lists it", a.Args[1])
		}
		if err := c.Quote(ctx, a.Officer, a.Args[0], id, true); err != nil {
			return err
		}
		say("quoted", map[string]string{"id": a.Args[1], "code": a.Args[0]})
		return nil
	case "hasil":
		return c.printResults(ctx, a.Out, a.Args[0], a.Lang)
	case "ekspor":
		out, cerr := os.Create(a.Args[1])
		if cerr != nil {
			return cerr
		}
		err = c.ExportXLSX(ctx, a.Args[0], a.Lang, out)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			say("written", map[string]string{"file": a.Args[1]})
		}
		return err
	default:
		return fmt.Errorf("consultation action %q is not known", a.Action)
	}
	if err != nil {
		return err
	}
	if q.Key != "" {
		say("queued", map[string]string{"key": q.Key, "count": strconv.Itoa(q.Queued)})
	} else {
		say("saved", nil)
	}
	return nil
}

// printResults is `bot konsultasi hasil`: the result as citizens read it,
// then what only the office reads.
func (c Consultations) printResults(ctx context.Context, w io.Writer, code, lang string) error {
	rep, err := c.Results(ctx, code)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, c.Messages.Result(lang, rep.Consultation, rep.Results))
	fmt.Fprintln(w)
	for _, b := range rep.Bursts {
		fmt.Fprintln(w, c.Messages.Texts.T(lang, "consultation.cli.burst", map[string]string{
			"count": strconv.Itoa(b.Answers), "from": b.From.Format("2006-01-02 15:04"), "to": b.To.Format("15:04"),
		}))
	}
	comments, err := c.Store.ConsultationComments(ctx, code)
	if err != nil {
		return err
	}
	for _, cm := range comments {
		mark := " "
		if cm.Quoted {
			mark = "*"
		}
		fmt.Fprintf(w, "%s [%d] %s\n", mark, cm.ID, cm.Text)
	}
	for _, key := range []string{"announce:", "result:", "response:"} {
		sent, total, err := c.Progress(ctx, key+code)
		if err != nil {
			return err
		}
		if total > 0 {
			fmt.Fprintln(w, key+code+": "+c.Messages.Progress(lang, sent, total))
		}
	}
	return nil
}
