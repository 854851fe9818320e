package main

import (
	"bufio"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest value with at least p% of the values at
// or below it. Zero for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// summary is the latency distribution of a run.
type summary struct {
	n             int
	p50, p95, p99 time.Duration
	max           time.Duration
}

func summarize(lat []time.Duration) summary {
	s := slices.Clone(lat)
	slices.Sort(s)
	out := summary{n: len(s), p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99)}
	if len(s) > 0 {
		out.max = s[len(s)-1]
	}
	return out
}

// procKB reads a "Vm...:  1234 kB" line of /proc/<pid>/status.
func procKB(pid int, field string) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

// resetPeakRSS makes VmHWM start again from the current RSS (Linux 4.0+),
// so each mode reports its own peak.
func resetPeakRSS(pid int) {
	_ = os.WriteFile("/proc/"+strconv.Itoa(pid)+"/clear_refs", []byte("5"), 0)
}

// infoFields parses the "key:value" lines of a Redis INFO reply.
func infoFields(info string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(info, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			out[k] = v
		}
	}
	return out
}

// commandCalls sums calls= over INFO commandstats, leaving out the
// measurement's own INFO commands.
func commandCalls(info string) int64 {
	var total int64
	for k, v := range infoFields(info) {
		if !strings.HasPrefix(k, "cmdstat_") || k == "cmdstat_info" {
			continue
		}
		for _, part := range strings.Split(v, ",") {
			if n, ok := strings.CutPrefix(part, "calls="); ok {
				c, _ := strconv.ParseInt(n, 10, 64)
				total += c
			}
		}
	}
	return total
}

// userHZ is the unit of the CPU times in /proc/stat and /proc/<pid>/stat:
// the kernel's USER_HZ, 100 on every Linux architecture Go targets.
const userHZ = 100

// cpuTimes is the CPU time used so far, in seconds: by the whole machine
// (busy, every core), by the watched processes, by this process (the load
// generator and its fake Bot API) and by the Redis server.
type cpuTimes struct {
	machine, procs, self, redis float64
	// interrupts is the machine's irq and softirq time, inside machine:
	// loopback networking is mostly softirq, charged to no process.
	interrupts float64
	cores      int
	ok         bool // /proc was readable
}

// readCPU samples cpuTimes; redisSecs is the Redis server's own account
// (INFO cpu), or a negative number when unknown.
func readCPU(pids []int, redisSecs float64) cpuTimes {
	busy, interrupts, cores, err := machineBusy("/proc/stat")
	if err != nil {
		return cpuTimes{}
	}
	t := cpuTimes{machine: busy, interrupts: interrupts, cores: cores, ok: true, redis: redisSecs}
	for _, pid := range pids {
		t.procs += procCPU("/proc/" + strconv.Itoa(pid) + "/stat")
	}
	t.self = procCPU("/proc/self/stat")
	return t
}

// machineBusy sums the busy time of the "cpu" line of /proc/stat (all but
// idle and iowait; guest time is already inside user), the irq and softirq
// part of it, and counts the cores.
func machineBusy(path string) (busySecs, interruptSecs float64, cores int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, 0, err
	}
	var busy, interrupts int64
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		switch {
		case len(f) > 8 && f[0] == "cpu":
			// user nice system idle iowait irq softirq steal
			for i, v := range f[1:9] {
				if i == 3 || i == 4 {
					continue
				}
				n, _ := strconv.ParseInt(v, 10, 64)
				busy += n
				if i == 5 || i == 6 {
					interrupts += n
				}
			}
		case strings.HasPrefix(f[0], "cpu"):
			cores++
		}
	}
	return float64(busy) / userHZ, float64(interrupts) / userHZ, cores, nil
}

// procCPU is utime+stime of /proc/<pid>/stat in seconds, all threads
// included; 0 when the process is gone.
func procCPU(path string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces and parentheses:
	// count the fields from after its last ")".
	i := strings.LastIndex(string(b), ") ")
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b)[i+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return float64(u+s) / userHZ
}

// redisCPU is used_cpu_sys + used_cpu_user of an INFO cpu reply, -1 when
// absent.
func redisCPU(info string) float64 {
	f := infoFields(info)
	sys, err1 := strconv.ParseFloat(f["used_cpu_sys"], 64)
	user, err2 := strconv.ParseFloat(f["used_cpu_user"], 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return sys + user
}
