package services

import "errors"

// ErrNoCase is what a case desk returns for a ticket that does not exist,
// that belongs to another citizen, or that the asking officer may not see:
// the three must be indistinguishable.
var ErrNoCase = errors.New("no such case")

// CanSee reports whether officer o may see case c: read it, act on it, be
// given it, and be told of it. It is the one rule behind every staff list,
// notification, assignment and forwarded answer.
//
// An officer sees the cases of their own unit; the camat and admins see
// every unit's. A rahasia complaint stays with the unit handling it and
// the camat who answers for it: an admin of another unit does not see it.
// An inactive officer sees nothing.
func CanSee(o Officer, c CaseView) bool {
	if !o.Active {
		return false
	}
	if c.Confidentiality == ConfidentialSecret {
		return o.Unit == c.Unit || o.Role == RoleCamat
	}
	return o.Role.AllUnits() || o.Unit == c.Unit
}
