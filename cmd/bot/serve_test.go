package main

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/leksono/sapa/office"
)

func envOf(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

// shipped reads the settings of env and loads the shipped configuration,
// as serve does, failing the test on a problem in either.
func shipped(t *testing.T, env map[string]string) (office.Settings, *office.Office) {
	t.Helper()
	cfg, err := office.ReadSettings(envOf(env))
	if err != nil {
		t.Fatal(err)
	}
	o, problems := office.Load(cfg.ConfigDir)
	if len(problems) > 0 {
		t.Fatalf("shipped configuration: %v", problems)
	}
	return cfg, o
}

func TestTuneGCLeavesExplicitSettingsAlone(t *testing.T) {
	prevPercent := debug.SetGCPercent(100)
	prevLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() {
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	})
	tuneGC(envOf(map[string]string{"GOGC": "100", "GOMEMLIMIT": "1GiB"}))
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GOGC set, yet the percent became %d", p)
	}
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT set, yet the limit became %d", l)
	}
	tuneGC(envOf(nil))
	if p := debug.SetGCPercent(100); p != gcPercent {
		t.Errorf("percent %d, want %d", p, gcPercent)
	}
	if l := debug.SetMemoryLimit(-1); l != memoryLimit {
		t.Errorf("memory limit %d, want %d", l, memoryLimit)
	}
}

func TestServeWithoutChannelStops(t *testing.T) {
	// With no settings at all WhatsApp is the channel (it would wait for
	// pairing): switched off, nothing is left to serve.
	cfg, o := shipped(t, map[string]string{"DATA_DIR": t.TempDir(), "WHATSAPP": "off"})
	err := run(context.Background(), cfg, o, slog.New(slog.DiscardHandler))
	if !errors.Is(err, errNoChannel) {
		t.Fatalf("run with no channel = %v, want errNoChannel", err)
	}
}

// With no settings at all the bot serves WhatsApp (pairing at first start)
// on embedded storage, the device keys in the same SQLite file, and the
// office console.
func TestNoSettingsServesWhatsApp(t *testing.T) {
	cfg, o := shipped(t, map[string]string{"DATA_DIR": t.TempDir()})
	a, err := buildWith(context.Background(), cfg, o, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("build with no settings: %v", err)
	}
	defer a.close(slog.New(slog.DiscardHandler))
	var names []string
	for _, c := range append(a.channels, a.jobs...) {
		names = append(names, c.name)
	}
	// The office console comes with the defaults too.
	if got := strings.Join(names, ","); got != "whatsapp,reminders,case-writer,consultation-closer,case-gauges,ops,console" {
		t.Fatalf("runs %q, want whatsapp,reminders,case-writer,consultation-closer,case-gauges,ops,console", got)
	}
	if a.storage.SQLitePath == "" {
		t.Fatal("no SQLite file with no DATABASE_URL")
	}
}
