// Package configs holds the default configuration of the bot: the office
// profile of Kecamatan Leksono (kecamatan.yaml), its service catalog
// (services.yaml), its staff (staff.yaml) and its letter templates
// (letters/*.yaml).
package configs

import "embed"

// FS is the default Leksono configuration, used when CONFIG_DIR is not set.
// Another kecamatan points CONFIG_DIR at a directory with its own
// kecamatan.yaml and services.yaml instead of rebuilding the binary.
//
//go:embed *.yaml letters/*.yaml
var FS embed.FS
