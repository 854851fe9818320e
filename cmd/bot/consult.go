package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"

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

func consultCmd(e env, f consultArgs, args []string) int {
	if len(args) == 0 || casework.ShellArity[args[0]] != len(args)-1 {
		fmt.Fprintln(e.stderr, casework.ShellUsage)
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
	office := casework.Consultations{Messages: consultation.Messages{Texts: o.Texts, Catalog: o.Catalog}, Now: e.now}
	if args[0] == "periksa" {
		file, err := office.ReadFile(args[1], o.Catalog)
		if err != nil {
			fmt.Fprintln(e.stderr, "sapa konsultasi:", err)
			return 1
		}
		fmt.Fprintln(e.stdout, casework.Preview(office.Messages, f.lang, file))
		return 0
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	ctx := context.Background()
	st, _, err := openStorage(ctx, cfg, o, false, log)
	if err != nil {
		fmt.Fprintln(e.stderr, "sapa konsultasi:", err)
		return 1
	}
	office.Store = st.Cases
	err = office.Shell(ctx, casework.ShellArgs{Action: args[0], Args: args[1:], Officer: officer, Lang: f.lang,
		Catalog: o.Catalog, In: e.stdin, Out: e.stdout})
	if err = errors.Join(err, st.Close()); err != nil {
		fmt.Fprintln(e.stderr, "sapa konsultasi:", err)
		return 1
	}
	return 0
}
