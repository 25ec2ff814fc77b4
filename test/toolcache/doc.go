// Package toolcache keeps programs that tests need, built from a pinned Go
// module, in a cache directory that outlives test runs.
//
// A stamp (the hash of everything that decides the build's output) tells
// whether the cache is current. A build is written into a fresh directory
// beside the cache and renamed into place, so a killed build never leaves a
// half-filled cache. A lock file beside the cache serialises concurrent
// callers, such as test packages run in parallel, so only one builds.
//
// test/kube (etcd, kube-apiserver, kubectl) and test/deploy (helm) use it.
package toolcache
