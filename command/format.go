package command

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/vault/api"
	"golang.org/x/term"
	"sigs.k8s.io/yaml"
)

// This file is the one place output is formatted: Key/Value tables,
// section headers, lists, raw fields, JSON and YAML.

// printer writes one command's output in its format.
type printer struct {
	w, errw  io.Writer
	format   string // table, json or yaml
	field    string
	detailed bool
}

// secret prints a response: its envelope as JSON or YAML, or a Key/Value
// table of the lease, the auth and the data. With -field, one value.
func (p *printer) secret(s *api.Secret) int {
	if p.field != "" {
		return p.rawField(secretField(s, p.field))
	}
	if p.format != "table" {
		return p.encode(s)
	}
	if s == nil {
		return exitOK
	}
	p.warnings(s)
	p.table(secretRows(s))
	return exitOK
}

// data prints a map (or, in JSON and YAML, any value) as a table of its
// keys in order. With -field, one value of the map.
func (p *printer) data(v any) int {
	if m, ok := v.(map[string]any); ok && p.field != "" {
		return p.rawField(m[p.field], m != nil && m[p.field] != nil)
	}
	if p.format != "table" {
		return p.encode(v)
	}
	m, _ := v.(map[string]any)
	p.table(mapRows(m))
	return exitOK
}

// list prints the keys of a LIST response: a "Keys" column, sorted, or
// the keys as a JSON/YAML array (the whole response with -detailed).
func (p *printer) list(s *api.Secret) int {
	if s.WrapInfo != nil {
		return p.secret(s) // -wrap-ttl: the wrapping token, not keys
	}
	keys, _ := s.Data["keys"].([]any)
	if p.format != "table" {
		if p.detailed {
			return p.encode(s)
		}
		return p.encode(keys)
	}
	p.warnings(s)
	names := make([]string, 0, len(keys))
	for _, k := range keys {
		names = append(names, fmt.Sprint(k))
	}
	sort.Strings(names)
	rows := [][]string{{"Keys"}}
	for _, n := range names {
		rows = append(rows, []string{n})
	}
	p.table(rows)
	return exitOK
}

// columns prints a table with a header row, underlined, as the listing
// commands (auth list, secrets list, audit list) do; JSON and YAML print
// raw instead.
func (p *printer) columns(rows [][]string, raw any) int {
	if p.format != "table" {
		return p.encode(raw)
	}
	p.table(rows)
	return exitOK
}

// lines prints one string per line in a table, or the list encoded.
func (p *printer) lines(items []string) int {
	if p.format != "table" {
		return p.encode(items)
	}
	for _, it := range items {
		fmt.Fprintln(p.w, it)
	}
	return exitOK
}

// encode prints v as indented JSON or as YAML.
func (p *printer) encode(v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err == nil && p.format == "yaml" {
		b, err = yaml.JSONToYAML(b)
		b = []byte(strings.TrimSpace(string(b)))
	}
	if err != nil {
		fmt.Fprintf(p.errw, "Could not parse output: %s\n", err)
		return exitLocal
	}
	fmt.Fprintf(p.w, "%s\n", b)
	return exitOK
}

// rawField prints one value with nothing around it: a string as it is,
// anything else with %v in table format or encoded in JSON/YAML. The
// trailing newline is added only on a terminal, so that
// $(vault kv get -field=password …) is the bare value.
func (p *printer) rawField(v any, present bool) int {
	if !present {
		fmt.Fprintf(p.errw, "Field %q not present in secret\n", p.field)
		return exitLocal
	}
	var s string
	if p.format == "table" {
		s = fmt.Sprintf("%v", v)
	} else {
		b, err := json.MarshalIndent(v, "", "  ")
		if err == nil && p.format == "yaml" {
			b, err = yaml.JSONToYAML(b)
		}
		if err != nil {
			fmt.Fprintf(p.errw, "Could not parse output: %s\n", err)
			return exitLocal
		}
		s = strings.TrimSpace(string(b))
	}
	return p.raw(s)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// warnings prints the response's warnings on stderr.
func (p *printer) warnings(s *api.Secret) {
	if s == nil || len(s.Warnings) == 0 {
		return
	}
	fmt.Fprintln(p.errw, "WARNING! The following warnings were returned from Vault:")
	fmt.Fprintln(p.errw)
	for _, w := range s.Warnings {
		fmt.Fprintf(p.errw, "  %s\n\n", strings.ReplaceAll(wrapText("* "+w, lineWidth-2), "\n", "\n    "))
	}
}

// header prints a "==== Title ====" line sized for a table of m, as the
// vault CLI puts over the sections of kv get.
func (p *printer) header(title string, m map[string]any) {
	longest := 0
	for k := range m {
		longest = max(longest, len(k))
	}
	// The key column, the four-space glue and "Value".
	fmt.Fprintln(p.w, padEquals(title, longest+4+5))
}

// path prints a "== Secret Path ==" section: the title sized to the path,
// the path, a blank line.
func (p *printer) path(title, path string) {
	fmt.Fprintln(p.w, padEquals(title, len(path)))
	fmt.Fprintln(p.w, path)
	fmt.Fprintln(p.w)
}

// padEquals centres title in equals signs to about width columns.
func padEquals(title string, width int) string {
	n := width - (len(title) + 2)
	if n <= 0 {
		n = 4
	}
	if n%2 != 0 {
		n++
	}
	eq := strings.Repeat("=", n/2)
	return eq + " " + title + " " + eq
}

// table prints rows with a "Key Value"-style header (the first row),
// underlined with dashes, columns four spaces apart, empty cells as n/a.
func (p *printer) table(rows [][]string) {
	if len(rows) == 0 {
		return
	}
	if len(rows) == 1 && len(rows[0]) == 2 && rows[0][0] == "Key" {
		return // nothing but the header: the vault CLI prints nothing
	}
	under := make([]string, len(rows[0]))
	for i, h := range rows[0] {
		under[i] = strings.Repeat("-", len(h))
	}
	p.aligned(append([][]string{rows[0], under}, rows[1:]...))
}

// aligned prints rows in columns four spaces apart, with no header.
func (p *printer) aligned(rows [][]string) {
	width := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(cell(c)))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			c = cell(c)
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(c)+4))
			}
		}
		fmt.Fprintln(p.w, b.String())
	}
}

// linef prints one line of prose.
func (p *printer) linef(format string, args ...any) {
	fmt.Fprintf(p.w, format+"\n", args...)
}

// paragraph prints text wrapped at lineWidth, then a blank line.
func (p *printer) paragraph(text string) {
	fmt.Fprintf(p.w, "%s\n\n", wrapText(text, lineWidth))
}

// warn prints a wrapped warning paragraph on stderr.
func (p *printer) warn(text string) {
	fmt.Fprintf(p.errw, "%s\n\n", wrapText(text, lineWidth))
}

// raw prints s with nothing around it; a newline only on a terminal.
func (p *printer) raw(s string) int {
	fmt.Fprint(p.w, s)
	if isTerminal(p.w) {
		fmt.Fprintln(p.w)
	}
	return exitOK
}

func cell(c string) string {
	c = strings.TrimSpace(c)
	if c == "" {
		return "n/a"
	}
	return c
}

// secretRows are the Key/Value rows of a response, in the vault CLI's
// order: lease, token, wrapping, then the data keys sorted.
func secretRows(s *api.Secret) [][]string {
	rows := [][]string{{"Key", "Value"}}
	add := func(k string, v any) { rows = append(rows, []string{k, fmt.Sprintf("%v", v)}) }
	if s.LeaseDuration > 0 {
		if s.LeaseID != "" {
			add("lease_id", s.LeaseID)
			add("lease_duration", humanDuration(s.LeaseDuration))
			add("lease_renewable", s.Renewable)
		} else {
			add("refresh_interval", humanDuration(s.LeaseDuration))
		}
	}
	if a := s.Auth; a != nil {
		add("token", a.ClientToken)
		add("token_accessor", a.Accessor)
		if a.LeaseDuration == 0 {
			add("token_duration", "∞")
		} else {
			add("token_duration", humanDuration(a.LeaseDuration))
		}
		add("token_renewable", a.Renewable)
		add("token_policies", fmt.Sprintf("%q", nonNil(a.TokenPolicies)))
		add("identity_policies", fmt.Sprintf("%q", nonNil(a.IdentityPolicies)))
		add("policies", fmt.Sprintf("%q", nonNil(a.Policies)))
		for _, k := range sortedKeys(a.Metadata) {
			add("token_meta_"+k, a.Metadata[k])
		}
	}
	if w := s.WrapInfo; w != nil {
		add("wrapping_token:", w.Token)
		add("wrapping_accessor:", w.Accessor)
		add("wrapping_token_ttl:", humanDuration(w.TTL))
		add("wrapping_token_creation_time:", w.CreationTime.String())
		add("wrapping_token_creation_path:", w.CreationPath)
		if w.WrappedAccessor != "" {
			add("wrapped_accessor:", w.WrappedAccessor)
		}
	}
	return append(rows, mapRows(s.Data)[1:]...)
}

// mapRows are the Key/Value rows of a map, keys sorted, durations made
// readable.
func mapRows(m map[string]any) [][]string {
	rows := [][]string{{"Key", "Value"}}
	for _, k := range sortedKeys(m) {
		v := m[k]
		if looksLikeDuration(k) {
			v = humanDurationValue(v)
		}
		rows = append(rows, []string{k, fmt.Sprintf("%v", v)})
	}
	return rows
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// secretField finds -field in a response: the lease, token and wrapping
// fields under the names the table shows, else a data key.
func secretField(s *api.Secret, field string) (any, bool) {
	if s == nil {
		return nil, false
	}
	if a := s.Auth; a != nil {
		switch field {
		case "token":
			return a.ClientToken, true
		case "token_accessor":
			return a.Accessor, true
		case "token_duration":
			return humanDuration(a.LeaseDuration), true
		case "token_renewable":
			return a.Renewable, true
		case "token_policies":
			return a.TokenPolicies, true
		case "identity_policies":
			return a.IdentityPolicies, true
		case "policies":
			return a.Policies, true
		}
	}
	if w := s.WrapInfo; w != nil {
		switch field {
		case "wrapping_token":
			return w.Token, true
		case "wrapping_accessor":
			return w.Accessor, true
		case "wrapping_token_ttl":
			return w.TTL, true
		case "wrapping_token_creation_time":
			return w.CreationTime.Format(time.RFC3339Nano), true
		case "wrapping_token_creation_path":
			return w.CreationPath, true
		case "wrapped_accessor":
			return w.WrappedAccessor, w.WrappedAccessor != ""
		}
	}
	switch field {
	case "lease_id":
		if s.LeaseID != "" {
			return s.LeaseID, true
		}
	case "lease_duration", "refresh_interval":
		if s.LeaseDuration > 0 {
			return humanDuration(s.LeaseDuration), true
		}
	case "lease_renewable":
		if s.LeaseID != "" {
			return s.Renewable, true
		}
	}
	v, ok := s.Data[field]
	return v, ok && v != nil
}

// looksLikeDuration: keys whose values the table shows as durations.
func looksLikeDuration(k string) bool {
	return k == "period" || strings.HasSuffix(k, "_period") ||
		k == "ttl" || strings.HasSuffix(k, "_ttl") ||
		k == "duration" || strings.HasSuffix(k, "_duration") ||
		k == "lease_max" || k == "ttl_max"
}

// humanDurationValue shows a number of seconds as a duration; anything
// else is left as it is.
func humanDurationValue(v any) any {
	switch n := v.(type) {
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return humanDuration(int(i))
		}
	case int:
		return humanDuration(n)
	case int64:
		return humanDuration(int(n))
	case float64:
		return humanDuration(int(n))
	}
	return v
}

// humanDuration shows seconds as Go shows a duration, without the zero
// minutes and seconds: 3600 is 1h, 90 is 1m30s, 0 is 0s.
func humanDuration(seconds int) string {
	d := time.Duration(seconds) * time.Second
	if d == 0 {
		return "0s"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if i := strings.Index(s, "h0m"); i > 0 {
		s = s[:i+1] + s[i+3:]
	}
	return s
}

// lineWidth is where prose output wraps.
const lineWidth = 78

// wrapText breaks s into lines of at most width columns, at spaces.
func wrapText(s string, width int) string {
	var b strings.Builder
	lineLen := 0
	for _, word := range strings.Fields(s) {
		switch {
		case lineLen == 0:
		case lineLen+1+len(word) > width:
			b.WriteByte('\n')
			lineLen = 0
		default:
			b.WriteByte(' ')
			lineLen++
		}
		b.WriteString(word)
		lineLen += len(word)
	}
	return b.String()
}

// success prints a "Success! …" line.
func (p *printer) success(format string, args ...any) int {
	fmt.Fprintf(p.w, "Success! "+format+"\n", args...)
	return exitOK
}

// jsonString is v as compact JSON, for a value sent as a query parameter.
func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// progressf prints one progress line of a long run on stderr, so that
// stdout keeps only the result.
func (p *printer) progressf(format string, args ...any) {
	fmt.Fprintf(p.errw, format+"\n", args...)
}

// jsonLine prints v as one line of compact JSON (JSON lines).
func (p *printer) jsonLine(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(p.w, "%s\n", b)
	return err
}

// csvWriter returns a CSV writer on the output; the caller flushes it.
func (p *printer) csvWriter() *csv.Writer {
	return csv.NewWriter(p.w)
}
