package main

import "testing"

func TestChooseGC(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		memoryMax string
		want      gcSettings
	}{
		{"no cgroup limit", nil, "max\n", gcSettings{percent: serverGCPercent}},
		{"cgroup file unreadable", nil, "", gcSettings{percent: serverGCPercent}},
		{"container limit of 1 GiB", nil, "1073741824\n", gcSettings{percent: serverGCPercent, memoryLimit: 966367641}},
		{"GOGC set by the operator", map[string]string{"GOGC": "100"}, "max", gcSettings{}},
		{"GOMEMLIMIT set by the operator", map[string]string{"GOMEMLIMIT": "200MiB"}, "1073741824", gcSettings{percent: serverGCPercent}},
		{"both set", map[string]string{"GOGC": "off", "GOMEMLIMIT": "1GiB"}, "1073741824", gcSettings{}},
		{"garbage in memory.max", nil, "-5", gcSettings{percent: serverGCPercent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := chooseGC(func(k string) string { return tt.env[k] }, []byte(tt.memoryMax))
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
