package core

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/vaultd/vaultd/logical"
)

func (b *sysBackend) hostInfoRoutes() []sysRoute {
	return []sysRoute{
		sysPath(`host-info`, map[logical.Operation]sysHandler{logical.ReadOperation: b.hostInfo}),
	}
}

// hostInfo answers what sys/host-info answers in Vault, in its shape,
// from what the standard library and /proc tell: host, memory and CPU.
// Where a value cannot be read (no /proc) it is left out rather than
// guessed; Vault does the same and lists the failures in warnings.
func (b *sysBackend) hostInfo(context.Context, *logical.Request, []string) (*logical.Response, error) {
	resp := &logical.Response{Data: map[string]any{"timestamp": b.st.c.now().UTC().Format(time.RFC3339Nano)}}
	host := map[string]any{"os": runtime.GOOS, "kernelArch": runtime.GOARCH}
	if name, err := os.Hostname(); err == nil {
		host["hostname"] = name
	}
	if v := readTrimmed("/proc/sys/kernel/osrelease"); v != "" {
		host["kernelVersion"] = v
	}
	if up := readTrimmed("/proc/uptime"); up != "" {
		if f, err := strconv.ParseFloat(strings.Fields(up)[0], 64); err == nil {
			host["uptime"] = uint64(f)
			host["bootTime"] = uint64(time.Now().Add(-time.Duration(f * float64(time.Second))).Unix())
		}
	}
	resp.Data["host"] = host
	if mem := memInfo(); mem != nil {
		resp.Data["memory"] = mem
	} else {
		resp.AddWarning("memory information is not available on this platform")
	}
	resp.Data["cpu"] = cpuInfo()
	return resp, nil
}

func readTrimmed(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// memInfo reads /proc/meminfo into Vault's memory object (bytes).
func memInfo() map[string]any {
	raw, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return nil
	}
	kb := map[string]uint64{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		if n, err := strconv.ParseUint(f[1], 10, 64); err == nil {
			kb[strings.TrimSuffix(f[0], ":")] = n * 1024
		}
	}
	total, avail := kb["MemTotal"], kb["MemAvailable"]
	if total == 0 {
		return nil
	}
	used := total - min(avail, total)
	return map[string]any{
		"total":       total,
		"available":   avail,
		"free":        kb["MemFree"],
		"used":        used,
		"usedPercent": float64(used) / float64(total) * 100,
		"cached":      kb["Cached"],
		"buffers":     kb["Buffers"],
	}
}

// cpuInfo lists one entry per logical CPU with its model name, when
// /proc/cpuinfo gives one.
func cpuInfo() []map[string]any {
	model := ""
	if raw, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(raw), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	out := make([]map[string]any, runtime.NumCPU())
	for i := range out {
		out[i] = map[string]any{"cpu": i, "cores": 1, "modelName": model}
	}
	return out
}
