package config

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/hashicorp/hcl/hcl/ast"
)

// StorageRaft is integrated storage: the store replicated by Raft.
const StorageRaft = "raft"

// Raft is the body of storage "raft" { … } beyond its path.
type Raft struct {
	// NodeID names this node in the cluster; node/ generates one (and keeps
	// it in the data directory) when empty.
	NodeID string
	// PerformanceMultiplier scales Raft's timers (0 means Vault's default of 5).
	PerformanceMultiplier int
	// RetryJoin are the members this node asks to join through, in turn,
	// until one answers.
	RetryJoin []*RetryJoin
}

// RetryJoin is one retry_join { … } block.
type RetryJoin struct {
	// LeaderAPIAddr is the URL of a member's API.
	LeaderAPIAddr string
	// LeaderCACertFile is a PEM file of CAs that sign the leader's API certificate.
	LeaderCACertFile string
	// LeaderTLSServerName is the name the leader's certificate is checked for.
	LeaderTLSServerName string
	// LeaderClientCertFile and LeaderClientKeyFile are a client certificate
	// presented to the leader's API, when it asks for one.
	LeaderClientCertFile string
	LeaderClientKeyFile  string
}

var raftStorageKeys = []string{"path", "node_id", "performance_multiplier"}

var retryJoinKeys = []string{
	"leader_api_addr", "leader_ca_cert_file", "leader_tls_servername",
	"leader_client_cert_file", "leader_client_key_file",
}

// raftBody reads the keys of storage "raft" { … }: the scalars through
// fields, and any number of retry_join blocks.
func (p *fileParser) raftBody(s *Storage, b block) {
	s.Raft = &Raft{}
	var scalars []*ast.ObjectItem
	for _, item := range b.body.Items {
		if len(item.Keys) > 0 && keyName(item.Keys[0]) == "retry_join" {
			p.retryJoinItem(s.Raft, b, item)
			continue
		}
		scalars = append(scalars, item)
	}
	sb := block{name: b.name, labels: b.labels, at: b.at, body: &ast.ObjectList{Items: scalars}}
	for _, f := range p.fields(sb, raftStorageKeys...) {
		var err error
		switch f.key {
		case "path":
			s.Path, err = f.str()
		case "node_id":
			s.Raft.NodeID, err = f.str()
		case "performance_multiplier":
			var n int64
			if n, err = f.integer(); err == nil {
				if n < 0 || n > 10 {
					err = fmt.Errorf("performance_multiplier: want 0 (the default) to 10, got %d", n)
				}
				s.Raft.PerformanceMultiplier = int(n)
			}
		}
		if err != nil {
			p.fail(f.at.errorf("%s: %w", b.title(), err))
		}
	}
}

// retryJoinItem reads one retry_join block (HCL) or a list of them (JSON).
func (p *fileParser) retryJoinItem(r *Raft, parent block, item *ast.ObjectItem) {
	at := p.pos(item.Keys[0])
	var bodies []*ast.ObjectList
	switch v := item.Val.(type) {
	case *ast.ObjectType:
		bodies = append(bodies, v.List)
	case *ast.ListType:
		for _, elem := range v.List {
			ot, ok := elem.(*ast.ObjectType)
			if !ok {
				p.fail(at.errorf("%s: retry_join: want a block { leader_api_addr = … }", parent.title()))
				return
			}
			bodies = append(bodies, ot.List)
		}
	default:
		p.fail(at.errorf("%s: retry_join: want a block { leader_api_addr = … }", parent.title()))
		return
	}
	for _, body := range bodies {
		rb := block{name: "retry_join", at: at, body: body}
		rj := &RetryJoin{}
		for _, f := range p.fields(rb, retryJoinKeys...) {
			s, err := f.str()
			if err != nil {
				p.fail(f.at.errorf("%s: retry_join: %w", parent.title(), err))
				continue
			}
			switch f.key {
			case "leader_api_addr":
				rj.LeaderAPIAddr = s
			case "leader_ca_cert_file":
				rj.LeaderCACertFile = s
			case "leader_tls_servername":
				rj.LeaderTLSServerName = s
			case "leader_client_cert_file":
				rj.LeaderClientCertFile = s
			case "leader_client_key_file":
				rj.LeaderClientKeyFile = s
			}
		}
		if err := rj.validate(); err != nil {
			p.fail(at.errorf("%s: retry_join: %w", parent.title(), err))
			continue
		}
		r.RetryJoin = append(r.RetryJoin, rj)
	}
}

func (rj *RetryJoin) validate() error {
	u, err := url.Parse(rj.LeaderAPIAddr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("leader_api_addr: want a URL such as https://vaultd-0.vaultd-internal:8200, got %q", rj.LeaderAPIAddr)
	}
	if (rj.LeaderClientCertFile == "") != (rj.LeaderClientKeyFile == "") {
		return fmt.Errorf("leader_client_cert_file and leader_client_key_file go together")
	}
	return nil
}

// checkClusterAddr requires a URL with a host and a port: the address other
// members reach this node's cluster port on.
func checkClusterAddr(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "tcp") {
		return fmt.Errorf("cluster_addr: want a URL such as https://10.0.0.5:8201, got %q", s)
	}
	if _, port, err := net.SplitHostPort(u.Host); err != nil || port == "" {
		return fmt.Errorf("cluster_addr: want a port, as in https://10.0.0.5:8201, got %q", s)
	}
	return nil
}

// ClusterHostPort is cluster_addr's host:port.
func (c *Config) ClusterHostPort() string {
	u, err := url.Parse(c.ClusterAddr)
	if err != nil {
		return ""
	}
	return u.Host
}

func (s *Storage) validateRaft() error {
	if strings.TrimSpace(s.Path) == "" {
		return s.at.errorf("storage %q: path is required", s.DeclaredType)
	}
	if s.Raft != nil {
		if strings.ContainsAny(s.Raft.NodeID, "/ \t\n") {
			return s.at.errorf("storage %q: node_id %q may not contain slashes or spaces", s.DeclaredType, s.Raft.NodeID)
		}
		for _, rj := range s.Raft.RetryJoin {
			if err := rj.validate(); err != nil {
				return s.at.errorf("storage %q: retry_join: %w", s.DeclaredType, err)
			}
		}
	}
	return nil
}

// validateHA checks what a raft storage needs beyond its block.
func (c *Config) validateHA() []error {
	if c.Storage == nil || c.Storage.Type != StorageRaft {
		if c.ClusterAddr != "" {
			if err := checkClusterAddr(c.ClusterAddr); err != nil {
				return []error{c.set["cluster_addr"].wrap(err)}
			}
		}
		return nil
	}
	var errs []error
	if c.ClusterAddr == "" {
		errs = append(errs, c.Storage.at.errorf(`storage "raft": cluster_addr is required, as in cluster_addr = "https://{{ GetPrivateIP }}:8201"`))
	} else if err := checkClusterAddr(c.ClusterAddr); err != nil {
		errs = append(errs, c.set["cluster_addr"].wrap(err))
	}
	if c.APIAddr == "" {
		errs = append(errs, c.Storage.at.errorf(`storage "raft": api_addr is required, as in api_addr = "https://{{ GetPrivateIP }}:8200"`))
	}
	return errs
}

// CheckRetryJoin validates a join target built outside a file (the body of
// sys/storage/raft/join).
func CheckRetryJoin(rj *RetryJoin) error { return rj.validate() }

// bracketIPv6 puts brackets around a bare IPv6 host in a URL such as
// "https://fd00::2:8201", which is what a go-sockaddr template like
// {{ GetPrivateIP }} renders to on an IPv6 host.
func bracketIPv6(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || strings.HasPrefix(rest, "[") {
		return s
	}
	hostport, path, _ := strings.Cut(rest, "/")
	i := strings.LastIndexByte(hostport, ':')
	if i < 0 || strings.Count(hostport, ":") < 2 {
		return s
	}
	host, port := hostport[:i], hostport[i+1:]
	if ip := net.ParseIP(host); ip == nil || ip.To4() != nil {
		return s
	}
	out := scheme + "://[" + host + "]:" + port
	if path != "" {
		out += "/" + path
	}
	return out
}
