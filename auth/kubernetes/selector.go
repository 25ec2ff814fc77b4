package kubernetes

import (
	"errors"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// parseNamespaceSelector reads bound_service_account_namespace_selector: a
// Kubernetes LabelSelector written as JSON or YAML, e.g.
// {"matchLabels":{"vault-access":"true"}}. As in Vault, only matchLabels
// is supported.
func parseNamespaceSelector(s string) (labels.Selector, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("namespace selector is empty")
	}
	var ls metav1.LabelSelector
	dec := yaml.NewYAMLOrJSONDecoder(strings.NewReader(s), len(s))
	if err := dec.Decode(&ls); err != nil {
		return nil, fmt.Errorf("not a label selector: %w", err)
	}
	if len(ls.MatchExpressions) > 0 {
		return nil, errors.New("label selector match expressions are not supported")
	}
	if len(ls.MatchLabels) == 0 {
		return nil, errors.New("label selector has no matchLabels")
	}
	sel, err := metav1.LabelSelectorAsSelector(&ls)
	if err != nil {
		return nil, fmt.Errorf("not a label selector: %w", err)
	}
	return sel, nil
}
