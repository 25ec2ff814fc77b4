package injector

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/vaultd/vaultd/injector"
	"github.com/vaultd/vaultd/test/kube"
	"github.com/vaultd/vaultd/test/proc"
)

// webhookMetric is the API server's histogram of the time each call to a
// webhook takes, seen from the API server.
const webhookMetric = "apiserver_admission_webhook_admission_duration_seconds"

// histogram is a cumulative Prometheus histogram: upper bound → count.
type histogram map[float64]float64

// scrapeWebhook reads the API server's histogram for the injector's
// webhook (admitted CREATE calls).
func scrapeWebhook(b testing.TB, c *kube.Cluster) histogram {
	b.Helper()
	raw, err := c.Clientset.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	h := histogram{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, webhookMetric+"_bucket{") || !strings.Contains(line, `name="injector.vaultd.dev"`) ||
			!strings.Contains(line, `rejected="false"`) || !strings.Contains(line, `operation="CREATE"`) {
			continue
		}
		i := strings.Index(line, `le="`)
		j := strings.Index(line[i+4:], `"`)
		le, err := strconv.ParseFloat(line[i+4:i+4+j], 64)
		if err != nil {
			le = math.Inf(1)
		}
		v, err := strconv.ParseFloat(line[strings.LastIndex(line, " ")+1:], 64)
		if err != nil {
			b.Fatalf("metric line %q: %v", line, err)
		}
		h[le] += v
	}
	return h
}

// quantile estimates quantile q of the calls between two scrapes, by linear
// interpolation inside the bucket, as Prometheus's histogram_quantile does.
func quantile(before, after histogram, q float64) float64 {
	var bounds []float64
	for le := range after {
		bounds = append(bounds, le)
	}
	slices.Sort(bounds)
	total := after[math.Inf(1)] - before[math.Inf(1)]
	if total == 0 {
		return math.NaN()
	}
	rank, prevBound, prevCount := q*total, 0.0, 0.0
	for _, le := range bounds {
		count := after[le] - before[le]
		if count >= rank {
			if math.IsInf(le, 1) {
				return prevBound
			}
			return prevBound + (le-prevBound)*(rank-prevCount)/(count-prevCount)
		}
		prevBound, prevCount = le, count
	}
	return prevBound
}

func percentile(d []time.Duration, q float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(math.Ceil(q*float64(len(s))))-1)]
}

// createPods creates n walkthrough pods in namespace and returns each
// create call's latency as the client sees it. It deletes them after.
func createPods(b *testing.B, c *kube.Cluster, namespace string, n int) []time.Duration {
	b.Helper()
	pods := c.Clientset.CoreV1().Pods(namespace)
	var lat []time.Duration
	for range n {
		pod := walkthroughPod(b, "bench-", nil)
		start := time.Now()
		got, err := pods.Create(b.Context(), pod, metav1.CreateOptions{})
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if want := namespace == "default"; (got.Annotations[injector.AnnotationStatus] == "injected") != want {
			b.Fatalf("pod in %s injected: %v", namespace, !want)
		}
		name := got.Name
		b.Cleanup(func() {
			_ = pods.Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
		})
	}
	return lat
}

// BenchmarkAdmission creates 50 walkthrough pods per iteration and reports
// the webhook's latency as the API server measures its calls (p50, p99,
// interpolated from apiserver_admission_webhook_admission_duration_seconds)
// and the whole pod create as the client sees it, with the webhook and in
// a namespace the webhook skips.
func BenchmarkAdmission(b *testing.B) {
	c := cluster.Get(b)
	startInjector(b, c, "http://"+proc.FreeAddr(b))
	ensureAccount(b, c, "vaultd")
	const pods = 50
	before := scrapeWebhook(b, c)
	var injected, skipped []time.Duration
	for b.Loop() {
		injected = append(injected, createPods(b, c, "default", pods)...)
		skipped = append(skipped, createPods(b, c, "vaultd", pods)...)
	}
	after := scrapeWebhook(b, c)
	var bounds []float64
	for le := range after {
		bounds = append(bounds, le)
	}
	slices.Sort(bounds)
	var dist []string
	for _, le := range bounds {
		dist = append(dist, fmt.Sprintf("≤%gs: %g", le, after[le]-before[le]))
	}
	b.Logf("API server's histogram of the webhook's calls (cumulative): %s", strings.Join(dist, ", "))
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(1000*quantile(before, after, 0.5), "webhook-p50-ms")
	b.ReportMetric(1000*quantile(before, after, 0.99), "webhook-p99-ms")
	b.ReportMetric(ms(percentile(injected, 0.5)), "create-injected-p50-ms")
	b.ReportMetric(ms(percentile(injected, 0.99)), "create-injected-p99-ms")
	b.ReportMetric(ms(percentile(skipped, 0.5)), "create-skipped-p50-ms")
	b.ReportMetric(ms(percentile(skipped, 0.99)), "create-skipped-p99-ms")
	b.ReportMetric(after[math.Inf(1)]-before[math.Inf(1)], "webhook-calls")
}

// BenchmarkInitToRendered runs the stored init container of the
// walkthrough pod: from its start to its exit with /vault/secrets/config
// rendered (login, read, write), per run.
func BenchmarkInitToRendered(b *testing.B) {
	c := cluster.Get(b)
	vaultAddr := proc.FreeAddr(b)
	startInjector(b, c, "http://"+vaultAddr)
	startWalkthroughServer(b, c, vaultAddr)
	pod, err := createPod(b, c, "default", walkthroughPod(b, "bench-init-", nil))
	if err != nil {
		b.Fatal(err)
	}
	root := newPodRoot(b, c, pod)
	file := root.appFile(b, "/vault/secrets/config")
	ct := find(pod.Spec.InitContainers, injector.InitContainerName)
	for b.Loop() {
		_ = os.Remove(file)
		p := root.start(b, ct)
		if err := p.Wait(b, time.Minute); err != nil {
			b.Fatalf("init container: %v\n%s", err, p.Out)
		}
		if readOr(file) != exports(firstSecret) {
			b.Fatalf("rendered %q", readOr(file))
		}
	}
}
