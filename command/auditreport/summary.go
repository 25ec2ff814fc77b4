package auditreport

import (
	"sort"
	"time"
)

// Periods a summary groups by.
const (
	PeriodAll   = "all"
	PeriodDay   = "day"
	PeriodWeek  = "week"
	PeriodMonth = "month"
)

// Row is one line of a summary: how often one identity touched one path
// in one period.
type Row struct {
	Period   string `json:"period"`
	Path     string `json:"path"`
	Identity string `json:"identity"`
	Count    int    `json:"count"`
	Denied   int    `json:"denied"`
	First    string `json:"first"`
	Last     string `json:"last"`
}

// Summary counts records per period, path and identity. Its memory grows
// with the number of distinct groups, not with the number of records.
type Summary struct {
	period string
	rows   map[[3]string]*Row
}

// NewSummary groups by period (PeriodAll, PeriodDay, PeriodWeek,
// PeriodMonth).
func NewSummary(period string) *Summary {
	return &Summary{period: period, rows: map[[3]string]*Row{}}
}

// Identity names the caller: the Kubernetes service account when the
// login gives one, else the display name, else the entity.
func Identity(r *Record) string {
	switch {
	case r.ServiceAccount != "":
		return "k8s:" + r.Namespace + "/" + r.ServiceAccount
	case r.DisplayName != "":
		return r.DisplayName
	case r.EntityID != "":
		return "entity:" + r.EntityID
	}
	return "(none)"
}

func (s *Summary) periodOf(t time.Time) string {
	t = t.UTC()
	switch s.period {
	case PeriodDay:
		return t.Format("2006-01-02")
	case PeriodWeek:
		y, w := t.ISOWeek()
		return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006") + "-W" + twoDigits(w)
	case PeriodMonth:
		return t.Format("2006-01")
	}
	return PeriodAll
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }

// Add counts one record.
func (s *Summary) Add(r *Record) {
	k := [3]string{s.periodOf(r.Time), r.Path, Identity(r)}
	row := s.rows[k]
	ts := r.Time.UTC().Format(time.RFC3339)
	if row == nil {
		row = &Row{Period: k[0], Path: k[1], Identity: k[2], First: ts}
		s.rows[k] = row
	}
	row.Count++
	if r.Denied() {
		row.Denied++
	}
	row.Last = ts
}

// Rows are the groups, by period, path, then identity.
func (s *Summary) Rows() []*Row {
	out := make([]*Row, 0, len(s.rows))
	for _, r := range s.rows {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Period != b.Period {
			return a.Period < b.Period
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Identity < b.Identity
	})
	return out
}
