//go:build !linux

package redisstore

// processNamespace is empty where the system does not tell the boot and
// the pid namespace: no holder is then ever taken for gone, and a dead
// process's lease expires after its TTL.
func processNamespace() string { return "" }

func processGone(int) bool { return false }
