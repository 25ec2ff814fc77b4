package injector

import (
	"encoding/json"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
)

// FuzzMutate: whatever a pod's annotations say, the injector either
// refuses it or answers a patch that applies and leaves a pod.
func FuzzMutate(f *testing.F) {
	for _, seed := range [][2]string{
		{AnnotationLimitsCPU, "banana"}, {AnnotationPerms + "-config", "999"}, {AnnotationFile + "-config", "../x"},
		{AnnotationSecretVolumePath, "/"}, {AnnotationInject, "TRUE"}, {AnnotationSecret + "-a/b", "secret/data/x"},
		{AnnotationNativeSidecar, "1"}, {AnnotationContainers, ",,app,"}, {AnnotationTemplate + "-x", "{{"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		pod := walkthroughPod(map[string]string{key: value})
		patch, err := Mutate(pod, testDefaults)
		if err != nil {
			if patch != nil {
				t.Fatal("a patch with an error")
			}
			return
		}
		if patch == nil {
			return
		}
		p, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			t.Fatalf("bad patch: %v", err)
		}
		doc, _ := json.Marshal(pod)
		if _, err := p.Apply(doc); err != nil {
			t.Fatalf("patch does not apply: %v", err)
		}
	})
}
