// Package storagetest is the conformance suite every storage.Backend must
// pass. A backend's own tests call Run with a fresh, empty instance and
// CheckClosed once they are done with it.
package storagetest
