package injector

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func reviewBody(t *testing.T, obj any, kind string) []byte {
	t.Helper()
	raw, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: "uid-1", Kind: metav1.GroupVersionKind{Version: "v1", Kind: kind}, Namespace: "default",
			Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func post(t *testing.T, url, ctype string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url+"/mutate", ctype, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestWebhookAnswers(t *testing.T) {
	h := &Handler{Defaults: testDefaults}
	srv := httptest.NewServer(h.Routes())
	defer srv.Close()

	decode := func(t *testing.T, b []byte) *admissionv1.AdmissionResponse {
		t.Helper()
		var r admissionv1.AdmissionReview
		if err := json.Unmarshal(b, &r); err != nil || r.Response == nil {
			t.Fatalf("not an AdmissionReview answer: %v %s", err, b)
		}
		if r.APIVersion != "admission.k8s.io/v1" || r.Kind != "AdmissionReview" || r.Response.UID != "uid-1" {
			t.Fatalf("answer header %s %s uid %s", r.APIVersion, r.Kind, r.Response.UID)
		}
		return r.Response
	}

	t.Run("inject", func(t *testing.T) {
		code, b := post(t, srv.URL, "application/json", reviewBody(t, walkthroughPod(nil), "Pod"))
		r := decode(t, b)
		if code != 200 || !r.Allowed || r.PatchType == nil || *r.PatchType != admissionv1.PatchTypeJSONPatch || len(r.Patch) == 0 {
			t.Fatalf("%d %+v", code, r)
		}
	})
	t.Run("not annotated", func(t *testing.T) {
		_, b := post(t, srv.URL, "application/json", reviewBody(t, walkthroughPod(map[string]string{AnnotationInject: "-"}), "Pod"))
		if r := decode(t, b); !r.Allowed || r.Patch != nil {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("system namespace", func(t *testing.T) {
		body := bytes.Replace(reviewBody(t, walkthroughPod(nil), "Pod"), []byte(`"namespace":"default","operation"`), []byte(`"namespace":"kube-system","operation"`), 1)
		if r := decode(t, func() []byte { _, b := post(t, srv.URL, "application/json", body); return b }()); !r.Allowed || r.Patch != nil {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("bad annotation refused", func(t *testing.T) {
		code, b := post(t, srv.URL, "application/json", reviewBody(t, walkthroughPod(map[string]string{AnnotationLimitsCPU: "banana"}), "Pod"))
		r := decode(t, b)
		if code != 200 || r.Allowed || r.Patch != nil || r.Result == nil || !strings.Contains(r.Result.Message, "agent-limits-cpu") {
			t.Fatalf("%d %+v", code, r)
		}
	})
	t.Run("not a pod", func(t *testing.T) {
		_, b := post(t, srv.URL, "application/json", reviewBody(t, map[string]string{"kind": "ConfigMap"}, "ConfigMap"))
		if r := decode(t, b); !r.Allowed || r.Patch != nil {
			t.Fatalf("%+v", r)
		}
	})

	bad := []struct {
		name, ctype, body, want string
	}{
		{"not JSON", "application/json", "{not json", "malformed AdmissionReview"},
		{"empty", "application/json", "", "malformed AdmissionReview"},
		{"no request", "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`, "no request"},
		{"wrong version", "application/json", `{"apiVersion":"admission.k8s.io/v1beta2","kind":"AdmissionReview","request":{"uid":"x"}}`, "want admission.k8s.io/v1"},
		{"trailing data", "application/json", `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x"}} {}`, "trailing"},
		{"content type", "text/plain", "{}", "invalid content type"},
	}
	for _, tc := range bad {
		t.Run("400 "+tc.name, func(t *testing.T) {
			code, b := post(t, srv.URL, tc.ctype, []byte(tc.body))
			if code != http.StatusBadRequest || !strings.Contains(string(b), tc.want) {
				t.Fatalf("%d %s, want 400 %q", code, b, tc.want)
			}
			// And the injector keeps serving.
			if _, b := post(t, srv.URL, "application/json", reviewBody(t, walkthroughPod(nil), "Pod")); !decode(t, b).Allowed {
				t.Fatal("not serving after a bad request")
			}
		})
	}
	t.Run("413 too large", func(t *testing.T) {
		body := append([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","object":"`), bytes.Repeat([]byte("a"), maxReviewBytes)...)
		if code, _ := post(t, srv.URL, "application/json", body); code != http.StatusRequestEntityTooLarge {
			t.Fatalf("%d, want 413", code)
		}
	})
	t.Run("GET /mutate", func(t *testing.T) {
		resp, err := http.Get(srv.URL + "/mutate")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("%d", resp.StatusCode)
		}
	})
}

func TestHealthReady(t *testing.T) {
	h := &Handler{}
	srv := httptest.NewServer(h.Routes())
	defer srv.Close()
	for _, want := range []int{http.StatusServiceUnavailable, http.StatusNoContent} {
		resp, err := http.Get(srv.URL + "/health/ready")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("/health/ready %d, want %d", resp.StatusCode, want)
		}
		h.SetReady(true)
	}
}

func TestUnknownEnv(t *testing.T) {
	got := unknownEnv([]string{"AGENT_INJECT_VAULT_ADDR=x", "AGENT_INJECT_USE_LEADER_ELECTOR=true", "PATH=/bin", "AGENT_INJECT_SET_SECURITY_CONTEXT=false"})
	if strings.Join(got, ",") != "AGENT_INJECT_USE_LEADER_ELECTOR,AGENT_INJECT_SET_SECURITY_CONTEXT" {
		t.Fatalf("unknown %v", got)
	}
}

func TestOptionsFromFlagsAndEnv(t *testing.T) {
	env := map[string]string{
		"AGENT_INJECT_VAULT_ADDR":         "http://from-env:8200",
		"AGENT_INJECT_CPU_LIMIT":          "2",
		"AGENT_INJECT_NATIVE_SIDECAR":     "true",
		"AGENT_INJECT_USE_LEADER_ELECTOR": "true", // Vault's, ignored
	}
	o, err := parseOptions([]string{"-tls-auto=cfg", "-tls-auto-hosts=a,b", "-vault-address=http://from-flag:8200", "-vault-image=img:1"},
		func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseOptions([]string{"-tls-cert-file=a", "-tls-key-file=b", "2>&1"}, func(string) string { return "" }, io.Discard); err != nil {
		t.Errorf("Vault's manifests' trailing 2>&1: %v", err)
	}
	d, _ := o.defaults()
	if d.VaultAddress != "http://from-env:8200" || d.LimitsCPU != "2" || !d.NativeSidecar || d.VaultImage != "img:1" || d.RunAsUser != 100 || d.DefaultTemplate != "map" {
		t.Fatalf("defaults %+v", d)
	}
	bad := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, nil, "TLS is required"},
		{[]string{"-tls-auto=cfg"}, nil, "-tls-auto-hosts"},
		{[]string{"-tls-cert-file=a", "-tls-key-file=b", "-cpu-limit=banana"}, nil, "-cpu-limit"},
		{[]string{"-tls-cert-file=a", "-tls-key-file=b"}, map[string]string{"AGENT_INJECT_DEFAULT_TEMPLATE": "yaml"}, "-default-template"},
		{[]string{"-tls-cert-file=a", "-tls-key-file=b"}, map[string]string{"AGENT_INJECT_NATIVE_SIDECAR": "maybe"}, "AGENT_INJECT_NATIVE_SIDECAR"},
		{[]string{"-tls-cert-file=a", "-tls-key-file=b", "-log-level=loud"}, nil, "-log-level"},
		{[]string{"-tls-cert-file=a", "-tls-key-file=b", "-tls-min-version=tls10"}, nil, "-tls-min-version"},
		{[]string{"-tls-cert-file=a", "-tls-key-file=b", "-run-as-user=0"}, nil, "-run-as-user"},
		{[]string{"-tls-auto=c", "-tls-auto-hosts=h", "-tls-auto-secret=s", "-namespace="}, nil, "-namespace"},
		{[]string{"-tls-cert-file=a", "-tls-key-file=b", "extra"}, nil, "unexpected arguments"},
	}
	for _, tc := range bad {
		_, err := parseOptions(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: err %v, want %q", tc.args, tc.env, err, tc.want)
		}
	}
}
