package services

import (
	"errors"
	"testing"
)

func TestCheckTransition(t *testing.T) {
	allowed := map[[2]Status]bool{
		{StatusReceived, StatusVerifying}: true, {StatusReceived, StatusIncomplete}: true,
		{StatusReceived, StatusRejected}: true, {StatusReceived, StatusNotOurRemit}: true,
		{StatusVerifying, StatusIncomplete}: true, {StatusVerifying, StatusProcessing}: true,
		{StatusVerifying, StatusRejected}: true, {StatusVerifying, StatusNotOurRemit}: true,
		{StatusIncomplete, StatusVerifying}: true, {StatusIncomplete, StatusRejected}: true,
		{StatusIncomplete, StatusNotOurRemit}: true,
		{StatusProcessing, StatusIncomplete}:  true, {StatusProcessing, StatusDone}: true,
		{StatusProcessing, StatusRejected}: true,
	}
	// Every pair of statuses, so a transition added or lost by accident
	// shows up here.
	for _, from := range Statuses {
		for _, to := range Statuses {
			err := CheckTransition(from, to)
			if allowed[[2]Status{from, to}] {
				if err != nil {
					t.Errorf("%s -> %s refused: %v", from, to, err)
				}
				continue
			}
			if !errors.Is(err, ErrIllegalTransition) {
				t.Errorf("%s -> %s: want ErrIllegalTransition, got %v", from, to, err)
			}
		}
	}
	for _, s := range []Status{StatusDone, StatusRejected, StatusNotOurRemit} {
		if s.Open() {
			t.Errorf("%s must be final", s)
		}
	}
	if !StatusIncomplete.Open() || StatusIncomplete.ClockRuns() || !StatusProcessing.ClockRuns() {
		t.Error("perlu_perbaikan is open with the clock paused; diproses runs the clock")
	}
	if Status("dibuang").Valid() || !StatusDone.Valid() {
		t.Error("Valid must know exactly the statuses")
	}
}

func TestNormalizeTicket(t *testing.T) {
	for in, want := range map[string]string{
		"LKS-261123-0001": "LKS-261123-0001", "lks-261123-0001": "LKS-261123-0001",
		"lks2611230001": "LKS-261123-0001", "LKS 261123 0001": "LKS-261123-0001",
		" lks.261123.0001 ": "LKS-261123-0001", "LKS-261123-10000": "LKS-261123-10000",
	} {
		if got, ok := NormalizeTicket(in); !ok || got != want {
			t.Errorf("NormalizeTicket(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "LKS", "LKS-2611-0001", "12345", "LKS-261123-001", "LKS-261123-0001; drop", "ⓛks2611230001"} {
		if got, ok := NormalizeTicket(in); ok {
			t.Errorf("NormalizeTicket(%q) = %q, want no ticket", in, got)
		}
	}
}
