package injector

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"sync/atomic"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// maxReviewBytes bounds an AdmissionReview body: the API server sends at
// most a few megabytes (an object is limited to about 1.5 MiB in etcd).
const maxReviewBytes = 8 << 20

// systemNamespace reports whether ns is never injected, whatever the
// webhook's selector.
func systemNamespace(ns string) bool { return ns == "kube-system" || ns == "kube-public" }

// Handler serves the webhook's HTTP endpoints.
type Handler struct {
	Defaults Defaults
	Logger   *slog.Logger
	// ready is set once the serving certificate is in place (and, with
	// -tls-auto, the caBundle written).
	ready atomic.Bool
}

// SetReady marks the injector ready for /health/ready.
func (h *Handler) SetReady(v bool) { h.ready.Store(v) }

// Routes is the webhook's mux: POST /mutate and GET /health/ready.
func (h *Handler) Routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/mutate", h.mutate)
	mux.HandleFunc("/health/ready", h.health)
	return mux
}

func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	if !h.ready.Load() {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return h.Logger
}

// mutate answers one AdmissionReview. A body that is not one is a 400; a
// pod the injector cannot inject as asked is answered allowed: false with
// the reason, so the API server refuses the pod rather than storing it
// half-mutated.
func (h *Handler) mutate(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed: the webhook takes POST", http.StatusMethodNotAllowed)
		return
	}
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/json" {
		http.Error(w, fmt.Sprintf("invalid content type %q: want application/json", r.Header.Get("Content-Type")), http.StatusBadRequest)
		return
	}
	review, err := decodeReview(http.MaxBytesReader(w, r.Body, maxReviewBytes))
	if err != nil {
		h.logger().Warn("bad admission review", "error", err, "remote", r.RemoteAddr)
		code := http.StatusBadRequest
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			code = http.StatusRequestEntityTooLarge
		}
		http.Error(w, err.Error(), code)
		return
	}
	resp := h.review(review.Request)
	out := admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: admissionv1.SchemeGroupVersion.String(), Kind: "AdmissionReview"},
		Response: resp,
	}
	body, err := json.Marshal(out)
	if err != nil {
		http.Error(w, "encode admission response", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func decodeReview(r io.Reader) (*admissionv1.AdmissionReview, error) {
	var review admissionv1.AdmissionReview
	dec := json.NewDecoder(r)
	if err := dec.Decode(&review); err != nil {
		return nil, fmt.Errorf("malformed AdmissionReview: %w", err)
	}
	if dec.More() {
		return nil, errors.New("malformed AdmissionReview: trailing data after the object")
	}
	if review.APIVersion != admissionv1.SchemeGroupVersion.String() || review.Kind != "AdmissionReview" {
		return nil, fmt.Errorf("malformed AdmissionReview: apiVersion %q kind %q, want admission.k8s.io/v1 AdmissionReview", review.APIVersion, review.Kind)
	}
	if review.Request == nil || review.Request.UID == "" {
		return nil, errors.New("malformed AdmissionReview: no request or no request uid")
	}
	return &review, nil
}

// review decides one request.
func (h *Handler) review(req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}
	if req.Kind.Kind != "Pod" || req.Operation != admissionv1.Create {
		return resp
	}
	var pod corev1.Pod
	if err := json.Unmarshal(req.Object.Raw, &pod); err != nil {
		return deny(req, fmt.Errorf("the request's object is not a pod: %w", err))
	}
	if systemNamespace(req.Namespace) {
		return resp
	}
	patch, err := Mutate(&pod, h.Defaults)
	if err != nil {
		h.logger().Info("refused injection", "namespace", req.Namespace, "pod", podName(&pod), "error", err)
		return deny(req, fmt.Errorf("vaultd injector: %w", err))
	}
	if patch == nil {
		return resp
	}
	pt := admissionv1.PatchTypeJSONPatch
	resp.Patch, resp.PatchType = patch, &pt
	h.logger().Info("injected", "namespace", req.Namespace, "pod", podName(&pod))
	return resp
}

func deny(req *admissionv1.AdmissionRequest, err error) *admissionv1.AdmissionResponse {
	return &admissionv1.AdmissionResponse{
		UID:     req.UID,
		Allowed: false,
		Result:  &metav1.Status{Status: metav1.StatusFailure, Code: http.StatusBadRequest, Reason: metav1.StatusReasonBadRequest, Message: err.Error()},
	}
}

func podName(p *corev1.Pod) string {
	if p.Name != "" {
		return p.Name
	}
	return p.GenerateName + "*"
}
