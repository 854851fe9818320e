package main

import (
	"bytes"
	"flag"
	"strings"
	"testing"
	"time"
)

// runBot runs bot with args as main does, and returns the exit code,
// stdout and stderr.
func runBot(vars map[string]string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := runCommand(args, env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: envOf(vars), now: time.Now})
	return code, out.String(), errOut.String()
}

// TestEveryCommandHelp runs each subcommand's --help (and -h, and
// `bot help <command>`): exit 0, on stdout the usage line, every flag and
// an example that parses with the command's own flags.
func TestEveryCommandHelp(t *testing.T) {
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			flags := c.flags()
			c.setup(flags)
			for _, args := range [][]string{{c.name, "--help"}, {c.name, "-h"}, {"help", c.name}} {
				code, out, errOut := runBot(nil, args...)
				if code != 0 || errOut != "" {
					t.Errorf("bot %s: exit %d, stderr %q; want 0 and nothing", strings.Join(args, " "), code, errOut)
				}
				for _, want := range []string{"Usage: bot " + c.name + " ", "\nFlags:\n", "\nExample:\n  " + c.example + "\n"} {
					if !strings.Contains(out, want) {
						t.Errorf("bot %s lacks %q:\n%s", strings.Join(args, " "), want, out)
					}
				}
				flags.VisitAll(func(f *flag.Flag) {
					if !strings.Contains(out, "  -"+f.Name) {
						t.Errorf("bot %s does not list -%s:\n%s", strings.Join(args, " "), f.Name, out)
					}
				})
			}
			// The example is a real command line of this command.
			fields := strings.Fields(c.example)
			i := 0
			for i < len(fields) && fields[i] != c.name {
				i++
			}
			if i == len(fields) || strings.Join(fields[max(0, i-3):i], " ") != "go run ./cmd/bot" {
				t.Fatalf("example %q does not run go run ./cmd/bot %s", c.example, c.name)
			}
			wantArgs := 0
			if c.arg != "" {
				wantArgs = 1
			}
			if err := flags.Parse(fields[i+1:]); err != nil || (c.several && flags.NArg() == 0) || (!c.several && flags.NArg() != wantArgs) {
				t.Errorf("example %q: %v, arguments left %q", c.example, err, flags.Args())
			}
		})
	}
}

func TestHelpListsCommands(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"help", "help"}, {"help", "-h"}} {
		code, out, _ := runBot(nil, args...)
		if code != 0 {
			t.Errorf("bot %s: exit %d", args[0], code)
		}
		lines := strings.Split(out, "\n")
		for _, c := range append(commands, command{name: "help"}) {
			n := 0
			for _, l := range lines {
				if strings.HasPrefix(l, "  "+c.name+"  ") && len(strings.TrimSpace(strings.TrimPrefix(l, "  "+c.name))) > 0 {
					n++
				}
			}
			if n != 1 {
				t.Errorf("bot %s: %d lines for %s, want one:\n%s", args[0], n, c.name, out)
			}
		}
	}
}

func TestWrongUsageExits2(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sing"}, `unknown command "sing"`},
		{[]string{"check", "--verbose"}, "flag provided but not defined: -verbose\nRun `bot check --help`"},
		{[]string{"check", "extra"}, `sapa check: unexpected argument "extra"`},
		{[]string{"--port", "80"}, "flag provided but not defined: -port\nRun `bot serve --help`"},
	} {
		code, _, errOut := runBot(nil, tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("bot %q: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}
