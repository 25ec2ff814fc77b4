package command

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vaultd/vaultd/command/auditreport"
)

// audit report: who did what to which secret, from file audit logs. The
// reading and joining are in command/auditreport; this file has the flags
// and the output.

func auditReportSpec() spec {
	return spec{name: "audit report", synopsis: "Reports who did what to which secret, from file audit logs", run: runAuditReport, help: `Usage: vaultd audit report [options] FILE...

  Reads file audit logs (vaultd's or Vault's; rotated and gzipped files
  too, in any order) and prints one line per request: when, what, on which
  path, the outcome, and who - with the Kubernetes namespace and service
  account of the login that created the caller's token. HMAC'd values
  stay HMAC'd; -hmac-of asks the server (sys/audit-hash) for the HMAC of a
  value and keeps the entries that hold it.

      $ vaultd audit report -path=secret/data/payments -since=2026-07-01 audit.log*
      $ vaultd audit report -summary -period=month -format=csv audit.log audit.log.1.gz
`}
}

func runAuditReport(b *base, args []string) int {
	fs := b.flags(flagsHTTP)
	var f auditreport.Filter
	var since, until, ops, format, period, hmacOf, device string
	var summary bool
	fs.StringVar(&f.Path, "path", "", "Only requests on paths with this prefix, or matching this glob.")
	fs.StringVar(&since, "since", "", "Only requests at or after this time (RFC 3339, a date, or a duration ago: 24h, 7d).")
	fs.StringVar(&until, "until", "", "Only requests before this time (as -since).")
	fs.StringVar(&ops, "operation", "", "Only these operations, comma-separated (read, list, create, update, delete, …).")
	fs.StringVar(&f.Entity, "entity", "", "Only this entity id (glob).")
	fs.StringVar(&f.DisplayName, "display-name", "", "Only this token display name (glob).")
	fs.StringVar(&f.Namespace, "namespace", "", "Only callers logged in from this Kubernetes namespace (glob).")
	fs.StringVar(&f.ServiceAccount, "service-account", "", "Only callers logged in as this Kubernetes service account (glob).")
	fs.StringVar(&f.RemoteAddress, "remote-address", "", "Only requests from this address or CIDR prefix.")
	fs.BoolVar(&f.Denied, "denied", false, "Only refused requests.")
	fs.StringVar(&hmacOf, "hmac-of", "", "Only entries holding this value, HMAC'd by the server (sys/audit-hash).")
	fs.StringVar(&device, "audit-device", "", "With -hmac-of: the audit device whose salt to use (default: every enabled device).")
	fs.BoolVar(&summary, "summary", false, "Count requests per period, path and identity instead of listing them.")
	fs.StringVar(&period, "period", auditreport.PeriodAll, `With -summary: "all", "day", "week" or "month".`)
	fs.StringVar(&format, "format", "table", `Output: "table", "json" (JSON lines) or "csv".`)
	files, code, ok := b.parseN(args, 1, -1)
	if !ok {
		return code
	}
	switch format {
	case "table", "json", "csv":
	default:
		b.errorf("Invalid output format: %s", format)
		return exitLocal
	}
	switch period {
	case auditreport.PeriodAll, auditreport.PeriodDay, auditreport.PeriodWeek, auditreport.PeriodMonth:
	default:
		b.errorf("Invalid -period %q: want all, day, week or month", period)
		return exitLocal
	}
	var err error
	if f.Since, err = parseWhen(since, time.Now()); err != nil {
		b.errorf("Invalid -since: %s", err)
		return exitLocal
	}
	if f.Until, err = parseWhen(until, time.Now()); err != nil {
		b.errorf("Invalid -until: %s", err)
		return exitLocal
	}
	for _, op := range strings.Split(ops, ",") {
		if op = strings.TrimSpace(op); op != "" {
			f.Operations = append(f.Operations, op)
		}
	}
	if summary && len(f.Operations) == 0 {
		f.Operations = []string{"read"}
	}
	if err := f.Check(); err != nil {
		b.errorf("%s", err)
		return exitLocal
	}
	if hmacOf != "" {
		hashes, code := b.auditHashes(hmacOf, device)
		if code != exitOK {
			return code
		}
		f.HMACs = hashes
	}

	p := b.out()
	out := newReportWriter(p, format, summary, period)
	corrupt := 0
	stats, err := auditreport.NewReader(&f, auditreport.Limits{}).Read(b.ctx, files, out.record, func(le *auditreport.LineError) {
		corrupt++
		b.errorf("Error: %s", le)
	})
	if err != nil {
		b.errorf("Error reading the audit log: %s", err)
		return exitLocal
	}
	if err := out.finish(); err != nil {
		b.errorf("Error writing the report: %s", err)
		return exitLocal
	}
	if corrupt > 0 {
		b.errorf("%d of %d lines were not audit entries; the rest were read.", corrupt, stats.Lines)
		return exitLocal
	}
	return exitOK
}

// auditHashes asks the server for value's HMAC under each device's salt.
func (b *base) auditHashes(value, device string) ([]string, int) {
	client, ok := b.client()
	if !ok {
		return nil, exitRemote
	}
	devices := []string{device}
	if device == "" {
		list, err := client.Sys().ListAuditWithContext(b.ctx)
		if err != nil {
			return nil, b.remote("Error listing audit devices", err)
		}
		devices = devices[:0]
		for path := range list {
			devices = append(devices, strings.TrimSuffix(path, "/"))
		}
		sort.Strings(devices)
		if len(devices) == 0 {
			b.errorf("Error: -hmac-of needs an enabled audit device, and none is")
			return nil, exitRemote
		}
	}
	var out []string
	for _, d := range devices {
		h, err := client.Sys().AuditHashWithContext(b.ctx, d, value)
		if err != nil {
			return nil, b.remote("Error hashing the value with audit device "+d, err)
		}
		out = append(out, h)
	}
	return out, exitOK
}

// parseWhen reads an absolute time, a date, or a duration before now
// ("36h", "7d").
func parseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, errors.New(strconv.Quote(s) + " is not an RFC 3339 time, a date (2006-01-02) or a duration (24h, 7d)")
}

// reportWriter prints records as they come (JSON lines, CSV) or at the
// end (a table, whose columns need every row; a summary).
type reportWriter struct {
	p       *printer
	format  string
	summary *auditreport.Summary
	rows    [][]string
	csv     interface {
		Write([]string) error
		Flush()
		Error() error
	}
}

var recordHeader = []string{"Time", "Operation", "Path", "Outcome", "Namespace", "Service Account", "Display Name", "Remote Address"}

func newReportWriter(p *printer, format string, summary bool, period string) *reportWriter {
	w := &reportWriter{p: p, format: format}
	if summary {
		w.summary = auditreport.NewSummary(period)
	}
	if format == "csv" {
		w.csv = p.csvWriter()
		if !summary {
			_ = w.csv.Write(append([]string{"request_id"}, recordHeader...))
		}
	}
	if format == "table" && !summary {
		w.rows = [][]string{recordHeader}
	}
	return w
}

// fixedTime is RFC 3339 with all nine fraction digits, so that times sort
// as text.
const fixedTime = "2006-01-02T15:04:05.000000000Z07:00"

func recordCells(r *auditreport.Record) []string {
	return []string{r.Time.UTC().Format(fixedTime), r.Operation, r.Path, r.Outcome, r.Namespace, r.ServiceAccount, r.DisplayName, r.RemoteAddress}
}

func (w *reportWriter) record(r *auditreport.Record) error {
	switch {
	case w.summary != nil:
		w.summary.Add(r)
		return nil
	case w.format == "json":
		return w.p.jsonLine(r)
	case w.format == "csv":
		return w.csv.Write(append([]string{r.RequestID}, recordCells(r)...))
	}
	w.rows = append(w.rows, recordCells(r))
	return nil
}

func (w *reportWriter) finish() error {
	if w.summary != nil {
		rows := w.summary.Rows()
		switch w.format {
		case "json":
			for _, r := range rows {
				if err := w.p.jsonLine(r); err != nil {
					return err
				}
			}
		case "csv":
			_ = w.csv.Write([]string{"period", "path", "identity", "count", "denied", "first", "last"})
			for _, r := range rows {
				_ = w.csv.Write([]string{r.Period, r.Path, r.Identity, strconv.Itoa(r.Count), strconv.Itoa(r.Denied), r.First, r.Last})
			}
		default:
			if len(rows) == 0 {
				w.p.linef("No matching requests.")
				return nil
			}
			t := [][]string{{"Period", "Path", "Identity", "Count", "Denied", "First", "Last"}}
			for _, r := range rows {
				t = append(t, []string{r.Period, r.Path, r.Identity, strconv.Itoa(r.Count), strconv.Itoa(r.Denied), r.First, r.Last})
			}
			w.p.table(t)
		}
	}
	if w.csv != nil {
		w.csv.Flush()
		return w.csv.Error()
	}
	if w.format == "table" && w.summary == nil {
		if len(w.rows) == 1 {
			w.p.linef("No matching requests.")
			return nil
		}
		// Requests whose response never came end the stream; the table
		// puts every row in time order (fixedTime sorts as text).
		body := w.rows[1:]
		sort.SliceStable(body, func(i, j int) bool { return body[i][0] < body[j][0] })
		w.p.table(w.rows)
	}
	return nil
}
