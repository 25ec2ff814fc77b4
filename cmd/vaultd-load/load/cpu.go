package load

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat. Linux fixes it
// at 100 for every program that reads /proc, whatever the kernel's HZ.
const userHZ = 100

// ProcessCPU returns the CPU time (user plus system, all threads) the
// process pid has used so far, read from /proc/<pid>/stat. It works only
// on Linux and only for a process on the same machine.
func ProcessCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("load: server CPU: %w", err)
	}
	return parseStat(raw)
}

// parseStat reads utime and stime (fields 14 and 15) of a /proc/<pid>/stat
// line. The command name (field 2) is in parentheses and may hold spaces
// or parentheses itself, so fields are counted after its last ')'.
func parseStat(raw []byte) (time.Duration, error) {
	end := bytes.LastIndexByte(raw, ')')
	if end < 0 {
		return 0, fmt.Errorf("load: server CPU: no command name in %q", raw)
	}
	// After ") " come fields 3 onwards: state is field 3, utime field 14.
	fields := bytes.Fields(raw[end+1:])
	const utime, stime = 14 - 3, 15 - 3
	if len(fields) <= stime {
		return 0, fmt.Errorf("load: server CPU: %d fields after the command name", len(fields))
	}
	var ticks int64
	for _, i := range []int{utime, stime} {
		n, err := strconv.ParseInt(string(fields[i]), 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("load: server CPU: field %d is %q", i+3, fields[i])
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / userHZ), nil
}
