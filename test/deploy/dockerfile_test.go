package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"unicode"
)

// dockerImage is what the deploy tests need to know about the image the
// repository's Dockerfile builds.
type dockerImage struct {
	// uid is the final stage's USER as a number, -1 when it is a name.
	uid int64
	// user is the USER line as written.
	user string
	// binary is where the final stage puts vaultd.
	binary string
	// volumes are the final stage's VOLUME paths.
	volumes []string
	// exposed are the final stage's EXPOSE ports.
	exposed []string
	// build is the `go build` command of the build stage, split into
	// words, with the environment it runs in (ENV lines and VAR=value
	// prefixes) in env.
	build []string
	env   map[string]string
	// entrypoint and cmd of the final stage, in exec form.
	entrypoint, cmd []string
	// links are the symbolic links the final stage gets from a build
	// stage (made there with ln -s and copied in): path → target.
	links map[string]string
	// files are the single files the final stage copies from a build
	// stage: path in the image → where they came from.
	files map[string]stageFile
	// packages are the Debian packages each build stage installs with
	// apt-get install, by stage name.
	packages map[string][]string
	// finalEnv is the final stage's ENV.
	finalEnv map[string]string
}

// stageFile is a file of a build stage.
type stageFile struct {
	stage, path string
}

// instruction is one Dockerfile instruction with its continuation lines
// joined.
type instruction struct {
	op   string
	args string
}

func parseDockerfileInstructions(text string) []instruction {
	var out []instruction
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		op, args, _ := strings.Cut(line, " ")
		out = append(out, instruction{op: strings.ToUpper(op), args: strings.TrimSpace(args)})
	}
	for raw := range strings.SplitSeq(text, "\n") {
		line := strings.TrimRightFunc(raw, unicode.IsSpace)
		if t := strings.TrimSpace(line); strings.HasPrefix(t, "#") {
			continue
		}
		if before, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(before + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return out
}

// readDockerfile parses the Dockerfile at path.
func readDockerfile(path string) (*dockerImage, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseDockerfile(string(data))
}

func parseDockerfile(text string) (*dockerImage, error) {
	ins := parseDockerfileInstructions(text)
	last := -1
	for i, in := range ins {
		if in.op == "FROM" {
			last = i
		}
	}
	if last < 0 {
		return nil, fmt.Errorf("Dockerfile: no FROM")
	}
	img := &dockerImage{uid: -1, env: map[string]string{}, links: map[string]string{},
		files: map[string]stageFile{}, packages: map[string][]string{}, finalEnv: map[string]string{}}
	args := map[string]string{}
	stageLinks := map[string]map[string]string{} // stage name → link → target
	stage := ""
	for i, in := range ins {
		final := i > last
		switch in.op {
		case "FROM":
			words := strings.Fields(in.args)
			stage = ""
			if len(words) == 3 && strings.EqualFold(words[1], "AS") {
				stage = words[2]
			}
		case "ARG":
			name, val, _ := strings.Cut(in.args, "=")
			args[strings.TrimSpace(name)] = strings.Trim(strings.TrimSpace(val), `"`)
		case "ENV":
			if final {
				for k, v := range envPairs(in.args) {
					img.finalEnv[k] = v
				}
			}
			if !final && img.build == nil {
				for k, v := range envPairs(in.args) {
					img.env[k] = v
				}
			}
		case "RUN":
			if !final && stage != "" {
				img.packages[stage] = append(img.packages[stage], findAptInstall(in.args)...)
				for link, target := range findLinks(in.args) {
					if stageLinks[stage] == nil {
						stageLinks[stage] = map[string]string{}
					}
					stageLinks[stage][link] = target
				}
			}
			if !final && img.build == nil {
				if cmd, env := findGoBuild(expandArgs(in.args, args)); cmd != nil {
					img.build = cmd
					for k, v := range env {
						img.env[k] = v
					}
				}
			}
		}
		if !final {
			continue
		}
		if err := img.finalStage(in); err != nil {
			return nil, err
		}
		if in.op == "COPY" {
			img.copyLinks(in, stageLinks)
		}
	}
	if img.build == nil {
		return nil, fmt.Errorf("Dockerfile: no RUN ... go build in a build stage")
	}
	if img.binary == "" {
		return nil, fmt.Errorf("Dockerfile: the final stage copies no vaultd binary")
	}
	return img, nil
}

func (img *dockerImage) finalStage(in instruction) error {
	switch in.op {
	case "USER":
		img.user = in.args
		u, _, _ := strings.Cut(in.args, ":")
		if n, err := strconv.ParseInt(u, 10, 64); err == nil {
			img.uid = n
		}
	case "COPY":
		words := shellWords(in.args)
		var plain []string
		for _, w := range words {
			if !strings.HasPrefix(w, "--") {
				plain = append(plain, w)
			}
		}
		if len(plain) < 2 {
			return nil
		}
		src, dst := plain[len(plain)-2], plain[len(plain)-1]
		if path.Base(src) == "vaultd" || path.Base(dst) == "vaultd" {
			if strings.HasSuffix(dst, "/") {
				dst += path.Base(src)
			}
			img.binary = dst
		}
	case "VOLUME":
		img.volumes = append(img.volumes, listArgs(in.args)...)
	case "EXPOSE":
		img.exposed = append(img.exposed, strings.Fields(in.args)...)
	case "ENTRYPOINT":
		img.entrypoint = listArgs(in.args)
	case "CMD":
		img.cmd = listArgs(in.args)
	}
	return nil
}

// copyLinks records the links a COPY --from=stage brings into the image.
func (img *dockerImage) copyLinks(in instruction, stageLinks map[string]map[string]string) {
	words := shellWords(in.args)
	from := ""
	var plain []string
	for _, w := range words {
		if v, ok := strings.CutPrefix(w, "--from="); ok {
			from = v
		} else if !strings.HasPrefix(w, "--") {
			plain = append(plain, w)
		}
	}
	if from == "" || len(plain) != 2 {
		return
	}
	src, dst := plain[0], plain[1]
	if !strings.HasSuffix(src, "/") {
		if strings.HasSuffix(dst, "/") {
			dst += path.Base(src)
		}
		img.files[dst] = stageFile{stage: from, path: src}
	}
	for link, target := range stageLinks[from] {
		switch {
		case link == src:
			img.links[dst] = target
		case strings.HasSuffix(src, "/") && strings.HasPrefix(link, src):
			img.links[path.Join(dst, strings.TrimPrefix(link, src))] = target
		}
	}
}

// findLinks finds `ln -s[f] TARGET LINK` in a shell command line.
func findLinks(line string) map[string]string {
	out := map[string]string{}
	for _, part := range splitShellList(line) {
		words := shellWords(part)
		if len(words) != 4 || words[0] != "ln" || !strings.HasPrefix(words[1], "-") || !strings.Contains(words[1], "s") {
			continue
		}
		out[words[3]] = words[2]
	}
	return out
}

// findAptInstall finds the packages of `apt-get install [-options] PKG...`
// in a shell command line.
func findAptInstall(line string) []string {
	var pkgs []string
	for _, part := range splitShellList(line) {
		words := shellWords(part)
		if len(words) < 2 || path.Base(words[0]) != "apt-get" {
			continue
		}
		install := false
		for _, w := range words[1:] {
			switch {
			case w == "install":
				install = true
			case strings.HasPrefix(w, "-"):
			case install:
				pkgs = append(pkgs, w)
			}
		}
	}
	return pkgs
}

// listArgs reads the exec form ["a", "b"] or the plain form a b.
func listArgs(s string) []string {
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err == nil {
		return list
	}
	return shellWords(s)
}

func envPairs(s string) map[string]string {
	out := map[string]string{}
	words := shellWords(s)
	if len(words) == 2 && !strings.Contains(words[0], "=") {
		out[words[0]] = words[1]
		return out
	}
	for _, w := range words {
		if k, v, ok := strings.Cut(w, "="); ok {
			out[k] = v
		}
	}
	return out
}

// expandArgs substitutes $NAME and ${NAME} for the build ARGs' defaults.
func expandArgs(s string, args map[string]string) string {
	return os.Expand(s, func(name string) string {
		if v, ok := args[name]; ok {
			return v
		}
		return "$" + name
	})
}

// findGoBuild finds `[VAR=value ...] go build ...` in a shell command line
// joined by && or ;.
func findGoBuild(line string) (cmd []string, env map[string]string) {
	for _, part := range splitShellList(line) {
		words := shellWords(part)
		env = map[string]string{}
		for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
			k, v, _ := strings.Cut(words[0], "=")
			env[k] = v
			words = words[1:]
		}
		if len(words) > 0 && words[0] == "env" {
			words = words[1:]
			for len(words) > 0 && strings.Contains(words[0], "=") {
				k, v, _ := strings.Cut(words[0], "=")
				env[k] = v
				words = words[1:]
			}
		}
		if len(words) >= 2 && path.Base(words[0]) == "go" && words[1] == "build" {
			return words, env
		}
	}
	return nil, nil
}

// splitShellList splits on && and ; outside quotes.
func splitShellList(s string) []string {
	var parts []string
	var cur strings.Builder
	var quote rune
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == ';':
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		case r == '&' && i+1 < len(rs) && rs[i+1] == '&':
			parts = append(parts, cur.String())
			cur.Reset()
			i++
			continue
		}
		cur.WriteRune(r)
	}
	return append(parts, cur.String())
}

// shellWords splits a command into words the way a POSIX shell would for
// the simple quoting Dockerfiles use: single and double quotes, backslash
// escapes outside single quotes.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch {
			case r == '"':
				quote = 0
			case r == '\\' && i+1 < len(rs) && strings.ContainsRune(`"\$`, rs[i+1]):
				i++
				cur.WriteRune(rs[i])
			default:
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '\\' && i+1 < len(rs):
			i++
			cur.WriteRune(rs[i])
			inWord = true
		case unicode.IsSpace(r):
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
