package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/leksono/sapa/casework"
	"github.com/leksono/sapa/consultation"
	"github.com/leksono/sapa/locales"
	"github.com/leksono/sapa/services"
)

// consultArgs are the konsultasi command's flags.
type consultArgs struct {
	as, lang string
}

// consultFlags declares `bot konsultasi`: the office's consultation and
// announcement actions, the same casework.Consultations the console calls.
func consultFlags(flags *flag.FlagSet) func(env) int {
	var f consultArgs
	flags.StringVar(&f.as, "as", "", "the officer (camat or admin of staff.yaml) acting; default: the server's own admin")
	flags.StringVar(&f.lang, "lang", locales.DefaultLang, "language of the preview, the results and the export")
	return func(e env) int { return consultCmd(e, f, flags.Args()) }
}

// serverAdmin is who acts from the server's shell when --as is not given:
// whoever can run the bot's binary there is the office's administrator.
var serverAdmin = services.Officer{ID: "server", Name: "server", Role: services.RoleAdmin, Active: true}

// consultUsage is printed for a wrong action or arguments.
const consultUsage = `usage: bot konsultasi periksa <file.yaml>          check a consultation or announcement file and show it as citizens will read it
       bot konsultasi terbit <file.yaml>           publish it (subscribers are told, at most one announcement a day each)
       bot konsultasi tutup <code>                 close a consultation early; everyone who answered gets the result
       bot konsultasi tanggapan <code> <file.txt>  write the office's response (- reads it from stdin)
       bot konsultasi hasil <code>                 results, comments, bursts of new identities, sending progress
       bot konsultasi kutip <code> <comment>       quote a comment (by its number in hasil) in the public result
       bot konsultasi ekspor <code> <file.xlsx>    the workbook of a consultation`

func consultCmd(e env, f consultArgs, args []string) int {
	want := map[string]int{"periksa": 2, "terbit": 2, "tutup": 2, "hasil": 2, "tanggapan": 3, "kutip": 3, "ekspor": 3}
	if n, ok := want[args[0]]; !ok || len(args) != n {
		fmt.Fprintln(e.stderr, consultUsage)
		return 2
	}
	cfg, o, code := prepare(e)
	if o == nil {
		return code
	}
	officer := serverAdmin
	if f.as != "" {
		var ok bool
		if officer, ok = o.Staff.Officer(f.as); !ok {
			fmt.Fprintf(e.stderr, "sapa konsultasi: %q is not an officer of staff.yaml\n", f.as)
			return 2
		}
	}
	msgs := consultation.Messages{Texts: o.Texts, Catalog: o.Catalog}
	if args[0] == "periksa" {
		file, err := readConsultFile(args[1], o.Catalog, e)
		if err != nil {
			fmt.Fprintln(e.stderr, "sapa konsultasi:", err)
			return 1
		}
		fmt.Fprintln(e.stdout, preview(msgs, f.lang, file))
		return 0
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	keys, err := loadDataKeys(cfg, log)
	if err != nil {
		fmt.Fprintln(e.stderr, "sapa konsultasi:", err)
		return 1
	}
	st, err := openStorage(ctx, cfg, caseOptions(o.Catalog, keys.Keys), log)
	if err != nil {
		fmt.Fprintln(e.stderr, "sapa konsultasi:", keys.refused(err, log))
		return 1
	}
	office := casework.Consultations{Store: st.Cases, Messages: msgs, Now: e.now}
	err = runConsult(ctx, e, f, args, office, officer, o.Catalog)
	if err = errors.Join(err, st.Close()); err != nil {
		fmt.Fprintln(e.stderr, "sapa konsultasi:", err)
		return 1
	}
	return 0
}

func readConsultFile(name string, cat *services.Catalog, e env) (consultation.File, error) {
	return consultation.ReadFile(os.DirFS(filepath.Dir(name)), filepath.Base(name), cat, e.now())
}

func runConsult(ctx context.Context, e env, f consultArgs, args []string, office casework.Consultations, officer services.Officer, cat *services.Catalog) error {
	say := func(key string, a map[string]string) {
		fmt.Fprintln(e.stdout, office.Messages.Texts.T(f.lang, "consultation.cli."+key, a))
	}
	var q casework.Queued
	var err error
	switch args[0] {
	case "terbit":
		file, rerr := readConsultFile(args[1], cat, e)
		if rerr != nil {
			return rerr
		}
		q, err = office.Publish(ctx, officer, file)
	case "tutup":
		q, err = office.Close(ctx, officer, args[1])
	case "tanggapan":
		var text []byte
		if args[2] == "-" {
			text, err = io.ReadAll(e.stdin)
		} else {
			text, err = os.ReadFile(args[2])
		}
		if err != nil {
			return fmt.Errorf("read the response: %w", err)
		}
		if strings.TrimSpace(string(text)) == "" {
			return errors.New("the response is empty")
		}
		q, err = office.Respond(ctx, officer, args[1], string(text))
	case "kutip":
		id, perr := strconv.ParseInt(args[2], 10, 64)
		if perr != nil {
			return fmt.Errorf("comment %q: give its number as hasil lists it", args[2])
		}
		if err := office.Store.QuoteComment(ctx, args[1], id, true); err != nil {
			return err
		}
		say("quoted", map[string]string{"id": args[2], "code": args[1]})
		return nil
	case "hasil":
		return printResults(ctx, e.stdout, office, args[1], f.lang)
	case "ekspor":
		out, cerr := os.Create(args[2])
		if cerr != nil {
			return cerr
		}
		err = office.ExportXLSX(ctx, args[1], f.lang, out)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			say("written", map[string]string{"file": args[2]})
		}
		return err
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

// preview is a file as citizens will read it.
func preview(m consultation.Messages, lang string, f consultation.File) string {
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

// printResults is `bot konsultasi hasil`: the result as citizens read it,
// then what only the office reads.
func printResults(ctx context.Context, w io.Writer, office casework.Consultations, code, lang string) error {
	rep, err := office.Results(ctx, code)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, office.Messages.Result(lang, rep.Consultation, rep.Results))
	fmt.Fprintln(w)
	for _, b := range rep.Bursts {
		fmt.Fprintln(w, office.Messages.Texts.T(lang, "consultation.cli.burst", map[string]string{
			"count": strconv.Itoa(b.Answers), "from": b.From.Format("2006-01-02 15:04"), "to": b.To.Format("15:04"),
		}))
	}
	comments, err := office.Store.ConsultationComments(ctx, code)
	if err != nil {
		return err
	}
	for _, c := range comments {
		mark := " "
		if c.Quoted {
			mark = "*"
		}
		fmt.Fprintf(w, "%s [%d] %s\n", mark, c.ID, c.Text)
	}
	for _, key := range []string{"announce:", "result:", "response:"} {
		sent, total, err := office.Progress(ctx, key+code)
		if err != nil {
			return err
		}
		if total > 0 {
			fmt.Fprintln(w, key+code+": "+office.Messages.Progress(lang, sent, total))
		}
	}
	return nil
}
