package kube

import "syscall"

// procAttr asks the kernel to kill a server if the thread that started it
// dies, so a test binary killed by its timeout leaves no etcd or
// kube-apiserver behind. The spawning goroutine is locked to its thread
// for the cluster's life (see Cluster.spawn).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}
