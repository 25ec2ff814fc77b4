package deploy

import (
	"fmt"
	"regexp"
	"strings"
)

// A docs page marks each fenced block with an HTML comment on the line
// before it, invisible when the page is rendered:
//
//	<!-- doc-test -->            run the shell block; it must exit 0
//	<!-- doc-test: fails -->     run it; it must exit non-zero
//	<!-- doc-test: server -->    start it in the background and wait for
//	                             127.0.0.1:8200 to answer; a later server
//	                             block stops the earlier one first
//	<!-- doc-test: output -->    the text block is the output of the block
//	                             before it: each line must appear, in order
//	                             (runs of spaces are one space, <...> is a
//	                             wildcard, a line "..." is skipped)
//	<!-- doc-test: in-repo -->   run it in the repository's root
//	<!-- doc-test: config -->    an HCL server config vaultd must load
//	<!-- doc-test: go -->        a Go program: `go run` it like a shell block
//	<!-- doc-test: kube -->      YAML the API server must accept (dry run)
//	<!-- doc-test: skip REASON --> not run (needs a cluster, a real
//	                             secret, ...); the reason is required
//
// Every shell block (sh, bash, shell, console) must carry a marker, so a
// command cannot be added to the docs without being run or explained.

// step is one marked block of a page.
type step struct {
	kind   string // run, fails, server, output, config, go, kube, skip
	inRepo bool
	lang   string
	text   string
	line   int // of the opening fence
	reason string
}

var markerRE = regexp.MustCompile(`^<!--\s*doc-test(?::\s*(.*?))?\s*-->$`)

// shellLangs are the fence languages that hold commands.
var shellLangs = map[string]bool{"sh": true, "bash": true, "shell": true, "console": true}

// parseDoc returns the marked blocks of a page in order, or an error for a
// shell block without a marker, a marker without a block, or a bad marker.
func parseDoc(name, text string) ([]step, error) {
	lines := strings.Split(text, "\n")
	var steps []step
	var pending *step
	pendingLine := 0
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if m := markerRE.FindStringSubmatch(line); m != nil {
			if pending != nil {
				return nil, fmt.Errorf("%s:%d: doc-test marker not followed by a fenced block", name, pendingLine)
			}
			s, err := parseMarker(m[1])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, i+1, err)
			}
			pending, pendingLine = &s, i+1
			continue
		}
		fence, lang, ok := openFence(lines[i])
		if !ok {
			if pending != nil && line != "" {
				return nil, fmt.Errorf("%s:%d: doc-test marker not followed by a fenced block", name, pendingLine)
			}
			continue
		}
		start := i
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != fence; i++ {
			body = append(body, lines[i])
		}
		if i == len(lines) {
			return nil, fmt.Errorf("%s:%d: unclosed code fence", name, start+1)
		}
		if pending == nil {
			if shellLangs[lang] {
				return nil, fmt.Errorf("%s:%d: %s block without a doc-test marker: mark it run, or skip with a reason", name, start+1, lang)
			}
			continue
		}
		pending.lang, pending.text, pending.line = lang, strings.Join(body, "\n")+"\n", start+1
		steps = append(steps, *pending)
		pending = nil
	}
	if pending != nil {
		return nil, fmt.Errorf("%s:%d: doc-test marker at the end of the page", name, pendingLine)
	}
	return steps, nil
}

func parseMarker(opts string) (step, error) {
	opts = strings.TrimSpace(opts)
	s := step{kind: "run"}
	if rest, ok := strings.CutPrefix(opts, "skip"); ok {
		s.kind, s.reason = "skip", strings.TrimSpace(rest)
		if s.reason == "" {
			return s, fmt.Errorf("doc-test: skip needs a reason")
		}
		return s, nil
	}
	for _, w := range strings.FieldsFunc(opts, func(r rune) bool { return r == ',' || r == ' ' }) {
		switch w {
		case "in-repo":
			s.inRepo = true
		case "run", "fails", "server", "output", "config", "go", "kube":
			s.kind = w
		default:
			return s, fmt.Errorf("doc-test: unknown option %q", w)
		}
	}
	return s, nil
}

// openFence recognises ``` or ~~~ with an optional language.
func openFence(line string) (fence, lang string, ok bool) {
	t := strings.TrimSpace(line)
	for _, f := range []string{"```", "~~~"} {
		if strings.HasPrefix(t, f) {
			fields := strings.Fields(strings.TrimPrefix(t, f))
			if len(fields) > 0 {
				lang = strings.ToLower(fields[0])
			}
			return f, lang, true
		}
	}
	return "", "", false
}

// matchOutput checks that every line of want appears in got, in order.
func matchOutput(want, got string) error {
	gotLines := strings.Split(normSpace(got), "\n")
	at := 0
	for _, w := range strings.Split(strings.TrimSpace(want), "\n") {
		w = normSpace(w)
		if w == "" || w == "..." {
			continue
		}
		re, err := regexp.Compile("^" + wildcard(w) + "$")
		if err != nil {
			return err
		}
		found := false
		for ; at < len(gotLines); at++ {
			if re.MatchString(gotLines[at]) {
				found = true
				at++
				break
			}
		}
		if !found {
			return fmt.Errorf("expected line %q not found (in order) in the output", w)
		}
	}
	return nil
}

var spaceRE = regexp.MustCompile(`[ \t]+`)

func normSpace(s string) string {
	var out []string
	for l := range strings.SplitSeq(s, "\n") {
		out = append(out, strings.TrimSpace(spaceRE.ReplaceAllString(l, " ")))
	}
	return strings.Join(out, "\n")
}

var placeholderRE = regexp.MustCompile(`<[^<>]+>`)

// wildcard quotes a line for a regexp with each <placeholder> as .+
func wildcard(line string) string {
	var b strings.Builder
	last := 0
	for _, loc := range placeholderRE.FindAllStringIndex(line, -1) {
		b.WriteString(regexp.QuoteMeta(line[last:loc[0]]))
		b.WriteString(".+")
		last = loc[1]
	}
	b.WriteString(regexp.QuoteMeta(line[last:]))
	return b.String()
}
