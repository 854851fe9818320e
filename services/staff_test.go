package services

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func loadStaffSnippet(t *testing.T, staff string) (*Staff, error) {
	t.Helper()
	cat, err := loadSnippets(goodKecamatan, goodServices)
	if err != nil {
		t.Fatal(err)
	}
	return LoadStaff(fstest.MapFS{"staff.yaml": &fstest.MapFile{Data: []byte(staff)}}, cat)
}

// staff.yaml names an officer's addresses by channel (telegram, whatsapp);
// they load into one map of channel to address, each in its stored form,
// and a unit's group into the unit's groups by channel.
func TestLoadStaffContacts(t *testing.T) {
	s, err := loadStaffSnippet(t, `officers:
  - {id: budi, name: Budi, role: petugas, unit: umum, telegram: " 4242 ", whatsapp: "0812-3456-7890"}
  - {id: sari, name: Sari, role: camat, whatsapp: "+62 813 1111 2222"}
  - {id: anto, name: Anto, role: kasi, unit: sosial}
units:
  umum: {telegram_group: "-1001234567890"}
  sosial: {telegram_group: ""}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Contacts{
		{"telegram": "4242", "whatsapp": "6281234567890"},
		{"whatsapp": "6281311112222"},
		{},
	}
	for i, o := range s.Officers {
		if !reflect.DeepEqual(o.Contacts, want[i]) {
			t.Errorf("%s: contacts %v, want %v", o.ID, o.Contacts, want[i])
		}
	}
	if got := s.Officers[0].Contacts.Channels(); !reflect.DeepEqual(got, []string{"telegram", "whatsapp"}) {
		t.Errorf("channels of budi = %v", got)
	}
	if !reflect.DeepEqual(s.UnitGroups, map[string]Contacts{"umum": {"telegram": "-1001234567890"}}) {
		t.Errorf("unit groups = %v", s.UnitGroups)
	}
}

func TestLoadStaffRefusesBadContacts(t *testing.T) {
	_, err := loadStaffSnippet(t, `officers:
  - {id: budi, name: Budi, role: petugas, unit: umum, telegram: "@budi", whatsapp: "12345"}
units:
  umum: {telegram_group: "grup"}
`)
	if err == nil {
		t.Fatal("bad contacts loaded")
	}
	for _, want := range []string{
		`staff.yaml: officer "budi": telegram must be the numeric Telegram user id`,
		`staff.yaml: officer "budi": whatsapp "12345" is not an Indonesian phone number`,
		`staff.yaml: units: umum: telegram_group must be the numeric group chat id`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// A channel's addresses are those of its active officers who have one.
func TestAddresses(t *testing.T) {
	s := &Staff{Officers: []Officer{
		{ID: "budi", Contacts: Contacts{"telegram": "4242", "whatsapp": "6281234567890"}, Active: true},
		{ID: "lama", Contacts: Contacts{"whatsapp": "6285555555555"}, Active: false},
		{ID: "anto", Contacts: Contacts{}, Active: true},
		{ID: "sari", Contacts: Contacts{"whatsapp": "6281311112222"}, Active: true},
	}}
	if got, want := s.Addresses("whatsapp"), []string{"6281234567890", "6281311112222"}; !reflect.DeepEqual(got, want) {
		t.Errorf("whatsapp addresses = %v, want %v", got, want)
	}
	if got := s.Addresses("webchat"); len(got) != 0 {
		t.Errorf("webchat addresses = %v, want none", got)
	}
	if got := (*Staff)(nil).Addresses("telegram"); len(got) != 0 {
		t.Errorf("no staff gave addresses %v", got)
	}
}

// An officer is recognized by their address on the channel a message came
// from, in whatever form the channel writes it; on the terminal by their id.
func TestByIdentity(t *testing.T) {
	s := &Staff{Officers: []Officer{
		{ID: "budi", Contacts: map[string]string{"telegram": "4242", "whatsapp": "6281234567890"}, Active: true},
		{ID: "lama", Contacts: map[string]string{"telegram": "5555"}, Active: false},
	}}
	for _, tc := range []struct {
		channel, sender string
		want            string
	}{
		{"telegram", "4242", "budi"},
		{"whatsapp", "6281234567890", "budi"},
		{"whatsapp", "081234567890", "budi"},
		{"terminal", "budi", "budi"},
		{"telegram", "6281234567890", ""},
		{"whatsapp", "4242", ""},
		{"telegram", "5555", ""}, // inactive
		{"telegram", "", ""},
		{"webchat", "4242", ""},
	} {
		o, ok := s.ByIdentity(tc.channel, tc.sender)
		if ok != (tc.want != "") || o.ID != tc.want {
			t.Errorf("ByIdentity(%s, %q) = %q, %v; want %q", tc.channel, tc.sender, o.ID, ok, tc.want)
		}
	}
}
