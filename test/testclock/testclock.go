// Package testclock is a settable clock for tests: code under test reads
// the time from Clock.Now (passed in as its clock) and the test moves it
// with Advance, so expiry can be tested without waiting.
package testclock

import (
	"sync"
	"time"
)

// Clock is a clock that stands still until it is advanced. It is safe for
// concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock that reads start.
func New(start time.Time) *Clock {
	return &Clock{now: start}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
