package services

import "testing"

// Every officer against every kind of case: the unit sees its own, the
// camat and admin see every unit's, a rahasia complaint only its unit and
// the camat, and an inactive officer nothing.
func TestCanSee(t *testing.T) {
	officers := map[string]Officer{
		"petugas_kesos": {ID: "petugas_kesos", Role: RolePetugas, Unit: "kesos", Active: true},
		"kasi_kesos":    {ID: "kasi_kesos", Role: RoleKasi, Unit: "kesos", Active: true},
		"petugas_umum":  {ID: "petugas_umum", Role: RolePetugas, Unit: "umum", Active: true},
		"camat":         {ID: "camat", Role: RoleCamat, Active: true},
		"admin":         {ID: "admin", Role: RoleAdmin, Active: true},
		"admin_kesos":   {ID: "admin_kesos", Role: RoleAdmin, Unit: "kesos", Active: true},
		"gone_kesos":    {ID: "gone_kesos", Role: RoleKasi, Unit: "kesos", Active: false},
	}
	cases := map[string]CaseView{
		"biasa":   {Unit: "kesos", Confidentiality: ConfidentialNormal},
		"letter":  {Unit: "kesos"},
		"anonim":  {Unit: "kesos", Confidentiality: ConfidentialAnonymous},
		"rahasia": {Unit: "kesos", Confidentiality: ConfidentialSecret},
	}
	// The officers who see each case; everyone else must not.
	want := map[string][]string{
		"biasa":   {"petugas_kesos", "kasi_kesos", "camat", "admin", "admin_kesos"},
		"letter":  {"petugas_kesos", "kasi_kesos", "camat", "admin", "admin_kesos"},
		"anonim":  {"petugas_kesos", "kasi_kesos", "camat", "admin", "admin_kesos"},
		"rahasia": {"petugas_kesos", "kasi_kesos", "camat", "admin_kesos"},
	}
	for kind, c := range cases {
		sees := map[string]bool{}
		for _, id := range want[kind] {
			sees[id] = true
		}
		for id, o := range officers {
			if got := CanSee(o, c); got != sees[id] {
				t.Errorf("CanSee(%s, %s case) = %v, want %v", id, kind, got, sees[id])
			}
		}
	}
}
