package redisstore

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// NewHolder names this process in leases and shard shares:
// "<machine>-<pid>-<random>". The machine part is the host name and, where
// the system tells them, the boot and the process-id namespace, so that
// two machines, or two containers, are never mistaken for one; the random
// part keeps a restarted process that got its predecessor's pid from
// taking the predecessor's lease for its own.
func NewHolder() string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return fmt.Sprintf("%s-%d-%s", thisMachine, os.Getpid(), hex.EncodeToString(b[:]))
}

// thisMachine is the machine part of this process's holder names.
var thisMachine = machineID()

func machineID() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r == '-' || r == '.' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, host)
	if where := processNamespace(); where != "" {
		host += "@" + where
	}
	return host
}

// parseHolder splits a holder name into its machine and pid; ok is false
// for a name NewHolder did not make.
func parseHolder(holder string) (machine string, pid int, ok bool) {
	rest, _, found := cutLast(holder, "-")
	if !found {
		return "", 0, false
	}
	machine, p, found := cutLast(rest, "-")
	if !found {
		return "", 0, false
	}
	pid, err := strconv.Atoi(p)
	if err != nil || pid <= 0 {
		return "", 0, false
	}
	return machine, pid, true
}

func cutLast(s, sep string) (before, after string, found bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// holderGone reports whether the process a holder name names is provably
// no longer running: it ran on this machine (same host, boot and process
// namespace) and no process has its pid now, or its pid is this process's
// own under another name (a restarted container's pid 1, say). A holder of
// another machine, or whose pid a running process has, may be alive.
func holderGone(holder, self string) bool {
	if holder == self || thisMachine == "" {
		return false
	}
	machine, pid, ok := parseHolder(holder)
	if !ok || machine != thisMachine || !strings.Contains(machine, "@") {
		// Without the boot and namespace, a same-named host elsewhere
		// cannot be told apart.
		return false
	}
	if pid == os.Getpid() {
		return true
	}
	return processGone(pid)
}
