package kube

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/vaultd/vaultd/test/toolcache"
)

// Issuer is the service-account token issuer the API server is started with.
const Issuer = "https://kubernetes.default.svc.cluster.local"

// Options tune a cluster. The zero value is what most tests want.
type Options struct {
	// Logger receives the harness's progress; nil discards it.
	Logger *slog.Logger
	// ExtraAPIServerFlags are appended to kube-apiserver's command line.
	ExtraAPIServerFlags []string
	// StartTimeout bounds the wait for etcd and /readyz (default 90s).
	StartTimeout time.Duration
	// IssuerAtHost makes the API server's own URL the service-account
	// issuer (Cluster.Issuer, the iss claim), with its JWKS at
	// <Host>/openid/v1/jwks, so that a relying party can use OIDC
	// discovery against the API server. Otherwise the issuer is Issuer.
	IssuerAtHost bool
}

// Cluster is a running etcd and kube-apiserver.
type Cluster struct {
	// Host is the API server's URL, https://127.0.0.1:<port>.
	Host string
	// CACertPEM is the CA that signed the API server's serving certificate.
	CACertPEM []byte
	// AdminToken is a bearer token of a system:masters user.
	AdminToken string
	// Clientset talks to the API server as the admin user.
	Clientset *kubernetes.Clientset
	// RESTConfig is the admin client configuration behind Clientset.
	RESTConfig *rest.Config
	// KubectlPath is the kubectl binary built with the API server.
	KubectlPath string
	// KubeconfigPath is a kubeconfig file for the admin user, for kubectl.
	KubeconfigPath string
	// Issuer is the service-account token issuer (the iss claim).
	Issuer string
	// ServiceAccountPublicKeyPEM is the public half of the key that signs
	// service-account tokens, as an auth method's pem_keys would take it.
	ServiceAccountPublicKeyPEM []byte
	// Dir holds the cluster's files: certificates, etcd data, logs.
	Dir string

	saKey   *rsa.PrivateKey
	logger  *slog.Logger
	procs   []*process
	spawner chan func()
	owned   bool // Dir was made by the harness and is removed by Stop
	stop    sync.Once
}

type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// StartCluster builds or finds the binaries and starts a cluster in a new
// temporary directory. The caller must Stop it.
func StartCluster(ctx context.Context, opts Options) (*Cluster, error) {
	dir, err := os.MkdirTemp("", "vaultd-kube-")
	if err != nil {
		return nil, fmt.Errorf("kube harness: %w", err)
	}
	c, err := startIn(ctx, dir, opts)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	c.owned = true
	return c, nil
}

func startIn(ctx context.Context, dir string, opts Options) (*Cluster, error) {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = 90 * time.Second
	}
	bins, err := EnsureBinaries(ctx, logger)
	if err != nil {
		return nil, err
	}
	keys, err := makePKI(dir, time.Now())
	if err != nil {
		return nil, err
	}
	admin := randomHex(24)
	tokenFile := filepath.Join(dir, "tokens.csv")
	if err := os.WriteFile(tokenFile, []byte(admin+`,vaultd-test-admin,vaultd-test-admin,"system:masters"`+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("kube harness: %w", err)
	}
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		Host:                       "https://127.0.0.1:" + strconv.Itoa(ports[2]),
		CACertPEM:                  keys.caPEM,
		AdminToken:                 admin,
		KubectlPath:                bins.Kubectl,
		Issuer:                     Issuer,
		ServiceAccountPublicKeyPEM: keys.saPublicKeyPEM,
		Dir:                        dir,
		saKey:                      keys.saKey,
		logger:                     logger,
		spawner:                    make(chan func()),
	}
	if opts.IssuerAtHost {
		c.Issuer = c.Host
	}
	go runSpawner(c.spawner)
	startCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := c.startEtcd(startCtx, bins.Etcd, ports[0], ports[1]); err != nil {
		c.Stop()
		return nil, err
	}
	if err := c.startAPIServer(startCtx, bins.KubeAPIServer, ports[0], ports[2], keys, tokenFile, opts.ExtraAPIServerFlags); err != nil {
		c.Stop()
		return nil, err
	}
	if err := c.connect(); err != nil {
		c.Stop()
		return nil, err
	}
	logger.Info("kube-apiserver ready", "host", c.Host, "dir", dir)
	return c, nil
}

func (c *Cluster) startEtcd(ctx context.Context, bin string, clientPort, peerPort int) error {
	client := "http://127.0.0.1:" + strconv.Itoa(clientPort)
	peer := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	args := []string{
		"--name=vaultd-test",
		"--data-dir=" + filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=vaultd-test=" + peer,
		"--log-level=warn",
		// A test cluster's data need not survive a crash.
		"--unsafe-no-fsync",
	}
	if err := c.spawn("etcd", bin, args); err != nil {
		return err
	}
	return c.waitHTTP(ctx, "etcd", client+"/health", nil)
}

func (c *Cluster) startAPIServer(ctx context.Context, bin string, etcdPort, port int, keys *pki, tokenFile string, extra []string) error {
	args := []string{
		"--etcd-servers=http://127.0.0.1:" + strconv.Itoa(etcdPort),
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		"--cert-dir=" + filepath.Join(c.Dir, "pki"),
		"--tls-cert-file=" + keys.servingCert,
		"--tls-private-key-file=" + keys.servingKey,
		"--service-account-issuer=" + c.Issuer,
		"--service-account-key-file=" + keys.saKeyPath,
		"--service-account-signing-key-file=" + keys.saKeyPath,
		"--service-cluster-ip-range=10.96.0.0/24",
		"--authorization-mode=RBAC",
		"--token-auth-file=" + tokenFile,
		"--endpoint-reconciler-type=none",
		"--profiling=false",
		"--v=1",
	}
	if c.Issuer != Issuer {
		args = append(args, "--service-account-jwks-uri="+c.Host+"/openid/v1/jwks")
	}
	args = append(args, extra...)
	if err := c.spawn("kube-apiserver", bin, args); err != nil {
		return err
	}
	return c.waitHTTP(ctx, "kube-apiserver", c.Host+"/readyz", c.adminHTTPClient())
}

// spawn starts a program with its output in <dir>/<name>.log. On Linux the
// child is killed if the test process dies, so no server outlives a run.
func (c *Cluster) spawn(name, bin string, args []string) error {
	logFile, err := os.Create(filepath.Join(c.Dir, name+".log"))
	if err != nil {
		return fmt.Errorf("kube harness: %w", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = procAttr()
	started := make(chan error, 1)
	c.spawner <- func() { started <- cmd.Start() }
	if err := <-started; err != nil {
		logFile.Close()
		return fmt.Errorf("kube harness: start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	c.procs = append(c.procs, p)
	return nil
}

// Stop ends the API server, then etcd, and removes the cluster's directory
// if the harness made it. It is safe to call more than once.
func (c *Cluster) Stop() {
	c.stop.Do(func() {
		for i := len(c.procs) - 1; i >= 0; i-- {
			p := c.procs[i]
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.done
			}
		}
		close(c.spawner)
		if c.owned {
			os.RemoveAll(c.Dir)
		}
	})
}

// runSpawner starts processes from one OS thread that stays alive until
// the cluster stops: the kernel's parent-death signal is tied to the
// thread, not the process, and Go may otherwise retire a thread at will.
func runSpawner(jobs <-chan func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for job := range jobs {
		job()
	}
}

// LogTail returns the last lines of a component's log ("etcd" or
// "kube-apiserver"), for a failing test to print.
func (c *Cluster) LogTail(name string, lines int) string {
	data, err := os.ReadFile(filepath.Join(c.Dir, name+".log"))
	if err != nil {
		return err.Error()
	}
	return toolcache.Tail(data, lines)
}

func (c *Cluster) exited(name string) error {
	for _, p := range c.procs {
		if p.name != name {
			continue
		}
		select {
		case <-p.done:
			return fmt.Errorf("kube harness: %s exited (%v):\n%s", name, p.err, c.LogTail(name, 30))
		default:
		}
	}
	return nil
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var listeners []net.Listener
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("kube harness: free port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}
