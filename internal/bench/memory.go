package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ProcStatus reads a process's peak and current resident set size (VmHWM and VmRSS, KiB) from
// /proc/<pid>/status.
func ProcStatus(pid int) (hwm, rss int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	return parseStatus(b)
}

func parseStatus(b []byte) (hwm, rss int64, err error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	found := 0
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmHWM" && k != "VmRSS") {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %w", k, err)
		}
		if k == "VmHWM" {
			hwm = n
		} else {
			rss = n
		}
		found++
	}
	if found < 2 {
		return 0, 0, fmt.Errorf("no VmHWM/VmRSS in /proc status")
	}
	return hwm, rss, nil
}

// FindProcesses returns the PIDs of running `yoyaku <command>` processes (by /proc/*/cmdline: a program named
// yoyaku whose first argument is command). When several match, those whose environment names temporal as
// YOYAKU_TEMPORAL_ADDRESS (how `yoyaku dev` starts them) come first.
func FindProcesses(command, temporal string) []int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var first, rest []int
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join(d, "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
		if len(args) < 2 || filepath.Base(args[0]) != "yoyaku" || args[1] != command {
			continue
		}
		env, _ := os.ReadFile(filepath.Join(d, "environ"))
		env = append([]byte{0}, env...)
		if temporal != "" && bytes.Contains(env, []byte("\x00YOYAKU_TEMPORAL_ADDRESS="+temporal+"\x00")) {
			first = append(first, pid)
		} else {
			rest = append(rest, pid)
		}
	}
	return append(first, rest...)
}

// CPU is CPU time (user + system, of the processes and of their reaped children) in seconds by service.
type CPU map[string]float64

// userHZ is the unit of the times in /proc/<pid>/stat (USER_HZ, 100 on Linux).
const userHZ = 100

// sampleCPU adds up the CPU time of every process of each service of groups (name → process group ID, which
// devstack makes the service's first process's PID): the processes in that group and their descendants —
// PostgreSQL's backends leave the postmaster's group (setsid) but stay its children — and of this process
// as "bench".
func sampleCPU(groups map[string]int) CPU {
	if len(groups) == 0 {
		return nil
	}
	byGroup := map[int]string{}
	for name, g := range groups {
		byGroup[g] = name
	}
	procs := map[int]procStat{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		if st, ok := parseStat(b); ok {
			procs[pid] = st
		}
	}
	service := func(pid int) (string, bool) {
		for range 16 { // a short way up: services are children of the bench's stack
			p, ok := procs[pid]
			if !ok {
				return "", false
			}
			if name, mine := byGroup[p.pgrp]; mine {
				return name, true
			}
			pid = p.ppid
		}
		return "", false
	}
	out := CPU{}
	for pid, p := range procs {
		if name, ok := service(pid); ok {
			if db := backendDatabase(pid); db != "" && name == "postgres" {
				name += "/" + db // whose queries: yoyaku's, or Temporal's persistence or visibility
			}
			out[name] += float64(p.ticks) / userHZ
		}
		if pid == os.Getpid() {
			out["bench"] += float64(p.ticks) / userHZ
		}
	}
	return out
}

// backendDatabase is the database a PostgreSQL backend serves, from its process title ("postgres: user
// database host state"); "" for any other process.
func backendDatabase(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return ""
	}
	f := strings.Fields(strings.TrimRight(string(b), "\x00"))
	if len(f) < 4 || f[0] != "postgres:" || !strings.Contains(f[3], "(") {
		return "" // the postmaster and its helpers (checkpointer, walwriter, …) name no client
	}
	return f[2]
}

// procStat is what sampleCPU reads of a /proc/<pid>/stat line.
type procStat struct {
	ppid, pgrp int
	ticks      int64 // utime+stime+cutime+cstime, in clock ticks
}

// parseStat reads the parent, the process group and utime+stime+cutime+cstime (clock ticks) from a
// /proc/<pid>/stat line.
func parseStat(b []byte) (procStat, bool) {
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces and parentheses
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(s[i+1:])
	// f[0] is the state (field 3 of proc(5)); ppid is field 4, pgrp field 5, utime..cstime fields 14..17.
	if len(f) < 15 {
		return procStat{}, false
	}
	var st procStat
	var err error
	if st.ppid, err = strconv.Atoi(f[1]); err != nil {
		return procStat{}, false
	}
	if st.pgrp, err = strconv.Atoi(f[2]); err != nil {
		return procStat{}, false
	}
	for _, k := range f[11:15] {
		n, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return procStat{}, false
		}
		st.ticks += n
	}
	return st, true
}

// since is the CPU time spent from before to c.
func (c CPU) since(before CPU) CPU {
	if c == nil {
		return nil
	}
	out := CPU{}
	for k, v := range c {
		out[k] = math.Round((v-before[k])*100) / 100
	}
	return out
}

func (c CPU) total() float64 {
	var t float64
	for _, v := range c {
		t += v
	}
	return t
}
