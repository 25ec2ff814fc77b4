package barrier

import "time"

// WithObserver has every Get, List and Commit (put and delete) reported
// to observe with its operation name ("get", "list", "put", "delete") and
// start time, for latency metrics. Nil observes nothing.
func WithObserver(observe func(op string, start time.Time)) Option {
	return func(b *Barrier) { b.observe = observe }
}

// observed reports op to the observer, if any; use as
// defer b.observed("get", time.Now()).
func (b *Barrier) observed(op string, start time.Time) {
	if b.observe != nil {
		b.observe(op, start)
	}
}
