package agent_test

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaultd/vaultd/test/proc"
)

// BenchmarkAgentInitToFile: from starting `vaultd agent` in init mode
// (kubernetes login against the real apiserver, one template) to its exit
// with the file on disk.
func BenchmarkAgentInitToFile(b *testing.B) {
	s, _ := auditedServer(b)
	p := setupWalkthrough(b, s.Client, "1h", "")
	cfg := p.writeConfig(b, "agent.hcl", p.issueConfig(s.Addr, "exit_after_auth = true"))
	bin := vaultd.Path(b)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		_ = os.Remove(p.dest())
		a := proc.Start(b, bin, proc.Options{Env: []string{"PATH=" + os.Getenv("PATH"), "HOME=" + p.dir}}, "agent", "-config="+cfg)
		if err := a.Wait(b, time.Minute); err != nil {
			b.Fatalf("agent: %v\n%s", err, a.Out)
		}
		if _, err := os.Stat(p.dest()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAgentRSS10Templates: the resident memory of a running agent
// with 10 templates, once all have rendered (reported as RSS-MB).
func BenchmarkAgentRSS10Templates(b *testing.B) {
	s, _ := auditedServer(b)
	p := setupWalkthrough(b, s.Client, "1h", "")
	probe := proc.FreeAddr(b)
	cfg := p.writeConfig(b, "agent.hcl", tenTemplates(p, s.Addr, "30s", probe))
	a := proc.Start(b, vaultd.Path(b), proc.Options{Env: []string{"PATH=" + os.Getenv("PATH"), "HOME=" + p.dir}}, "agent", "-config="+cfg)
	waitReady(b, probe, a)
	time.Sleep(5 * time.Second) // a few refresh cycles
	rss := rssKB(b, a.Pid())
	for b.Loop() {
	}
	b.ReportMetric(float64(rss)/1024, "RSS-MB")
}

// BenchmarkAgentRequestsPerMinute counts the requests one agent with one
// template sends to vaultd (from vaultd's audit log) over a steady
// stretch at a short interval, and scales the count to the default
// 5-minute interval (reads per template happen once per interval; token
// renewals at two thirds of the 1h TTL).
func BenchmarkAgentRequestsPerMinute(b *testing.B) {
	s, auditLog := auditedServer(b)
	p := setupWalkthrough(b, s.Client, "1h", "")
	probe := proc.FreeAddr(b)
	const interval = 2 * time.Second
	text := p.issueConfig(s.Addr, `template_config { static_secret_render_interval = "2s" }
listener "tcp" {
  address     = "`+probe+`"
  tls_disable = true
}`)
	cfg := p.writeConfig(b, "agent.hcl", text)
	a := proc.Start(b, vaultd.Path(b), proc.Options{Env: []string{"PATH=" + os.Getenv("PATH"), "HOME=" + p.dir}}, "agent", "-config="+cfg)
	waitReady(b, probe, a)
	before := countRequests(b, auditLog)
	const window = 30 * time.Second
	time.Sleep(window)
	n := countRequests(b, auditLog) - before
	for b.Loop() {
	}
	perInterval := float64(n) / (float64(window) / float64(interval))
	atDefault := perInterval*(float64(time.Minute)/float64(5*time.Minute)) + 1.0/40 // + renewals
	b.ReportMetric(float64(n)/window.Minutes(), "req/min@2s")
	b.ReportMetric(perInterval, "req/interval")
	b.ReportMetric(atDefault, "req/min@5m")
}

func tenTemplates(p *pod, addr, interval, probe string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, `vault { address = %q }
auto_auth {
  method "kubernetes" {
    config = {
      role       = "my-api-role"
      token_path = %q
    }
  }
}
template_config { static_secret_render_interval = %q }
listener "tcp" {
  address     = %q
  tls_disable = true
}
`, addr, p.jwtFile, interval, probe)
	for i := range 10 {
		fmt.Fprintf(&sb, "template {\n  destination = %q\n  contents = <<EOT\n%sEOT\n}\n",
			filepath.Join(p.dir, "secrets", "config-"+strconv.Itoa(i)), walkthroughTemplate+strings.Repeat(" ", i))
	}
	return sb.String()
}

func waitReady(b *testing.B, probe string, a *proc.Proc) {
	b.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + probe + "/agent/v1/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Fatalf("agent never ready:\n%s", a.Out)
}

func rssKB(b *testing.B, pid int) int {
	b.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.Fields(v)[0])
			return kb
		}
	}
	b.Fatal("no VmRSS")
	return 0
}

func countRequests(b *testing.B, logPath string) int {
	b.Helper()
	data, err := os.ReadFile(logPath)
	if err != nil {
		b.Fatal(err)
	}
	return strings.Count(string(data), `"type":"request"`)
}
