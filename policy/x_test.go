package policy
import ("testing";"strings";"time")
func TestX(t *testing.T) {
	for _, n := range []int{1000, 100000, 1000000} {
		for _, s := range []string{"path \"a\" { capabilities = " + strings.Repeat("[", n) + " }", "path \"a\" " + strings.Repeat("{ x ", n), strings.Repeat("{\"a\":", n)} {
			st := time.Now()
			_, err := Parse("x", s)
			e := ""; if err != nil { e = err.Error(); if len(e) > 80 { e = e[:80] } }
			t.Log(n, time.Since(st), e)
		}
	}
}
