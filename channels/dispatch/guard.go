package dispatch

import (
	"fmt"
	"runtime/debug"
)

// PanicError is a panic turned into an error by Guard, with the stack where
// it happened: one bad message fails alone instead of taking every chat
// down with the process.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the panicking goroutine's stack
}

func (e *PanicError) Error() string { return fmt.Sprintf("handler panicked: %v", e.Value) }

// Guard calls f and returns what it returns; a panic in f is recovered and
// returned as a *PanicError. The dispatcher logs the stack once and counts
// the attempt against Config.MaxPanics.
func Guard[R any](f func() (R, error)) (r R, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return f()
}
