package dispatch

import (
	"errors"
	"strings"
	"testing"
)

func TestGuardTurnsAPanicIntoAnError(t *testing.T) {
	v, err := Guard(func() (int, error) { return 7, nil })
	if v != 7 || err != nil {
		t.Fatalf("Guard of a calm call = %d, %v", v, err)
	}
	failure := errors.New("storage down")
	if _, err := Guard(func() (int, error) { return 0, failure }); err != failure {
		t.Fatalf("Guard changed the error: %v", err)
	}
	_, err = Guard(func() (int, error) { panic("engine bug") })
	p, ok := errors.AsType[*PanicError](err)
	if !ok {
		t.Fatalf("Guard of a panic = %v, want a *PanicError", err)
	}
	if p.Value != "engine bug" || !strings.Contains(err.Error(), "engine bug") {
		t.Errorf("panic value %v, error %q", p.Value, err)
	}
	if !strings.Contains(string(p.Stack), "TestGuardTurnsAPanicIntoAnError") {
		t.Errorf("the stack does not show where it panicked:\n%s", p.Stack)
	}
}
