package bench

import (
	"bufio"
	"bytes"
	"fmt"
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
