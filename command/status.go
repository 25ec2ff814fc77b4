package command

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"
)

// status: the seal status, with the exit code telling the state.

// Exit codes of `vault status`: 0 unsealed, 1 error, 2 sealed.
const (
	statusUnsealed = 0
	statusError    = 1
	statusSealed   = 2
)

func statusCommands() []spec {
	return []spec{{name: "status", synopsis: "Print seal and HA status", run: runStatus, help: `Usage: vault status [options]

  Prints the seal status of the server. The exit code tells the state:
  0 unsealed, 1 error, 2 sealed.
`}}
}

func runStatus(b *base, args []string) int {
	b.flags(flagsHTTP | flagsFormat)
	if _, code, ok := b.parseN(args, 0, 0); !ok {
		return code
	}
	client, ok := b.client()
	if !ok {
		return statusError
	}
	seal, err := client.Sys().SealStatusWithContext(b.ctx)
	if err != nil {
		b.errorf("Error checking seal status: %s", err)
		return statusError
	}
	if code := b.printSealStatus(client, seal); code != 0 {
		return code
	}
	if seal.Sealed {
		return statusSealed
	}
	return statusUnsealed
}

// sealStatusOutput is what status and unseal print: the seal status with
// the answer of sys/leader folded in, under the JSON keys `vault status
// -format=json` uses.
type sealStatusOutput struct {
	api.SealStatusResponse
	HAEnabled            bool      `json:"ha_enabled"`
	IsSelf               bool      `json:"is_self,omitempty"`
	ActiveTime           time.Time `json:"active_time,omitempty"`
	LeaderAddress        string    `json:"leader_address,omitempty"`
	LeaderClusterAddress string    `json:"leader_cluster_address,omitempty"`
}

// printSealStatus asks sys/leader for the HA state and prints the whole
// status. It returns 0, or 1 when sys/leader fails.
func (b *base) printSealStatus(client *api.Client, seal *api.SealStatusResponse) int {
	out := sealStatusOutput{SealStatusResponse: *seal}
	leader, err := client.Sys().LeaderWithContext(b.ctx)
	switch {
	case err != nil && strings.Contains(err.Error(), "Vault is sealed"):
		// A server that refuses sys/leader while sealed has told us all
		// there is to know; HA stays off. (Vault answers it while sealed.)
	case err != nil:
		b.errorf("Error checking leader status: %s", err)
		return 1
	default:
		out.HAEnabled = leader.HAEnabled
		out.IsSelf = leader.IsSelf
		out.ActiveTime = leader.ActiveTime
		out.LeaderAddress = leader.LeaderAddress
		out.LeaderClusterAddress = leader.LeaderClusterAddress
	}
	p := b.out()
	if p.format != "table" {
		if p.encode(out) != exitOK {
			return 1
		}
		return 0
	}
	p.table(sealStatusRows(out))
	return 0
}

// sealStatusRows lays the status out in the rows and order of `vault status`.
func sealStatusRows(s sealStatusOutput) [][]string {
	rows := [][]string{{"Key", "Value"}, {"Seal Type", s.Type}}
	add := func(k, v string) { rows = append(rows, []string{k, v}) }
	sharesKey := "Total Shares"
	if s.RecoverySeal {
		add("Recovery Seal Type", s.RecoverySealType)
		sharesKey = "Total Recovery Shares"
	}
	add("Initialized", strconv.FormatBool(s.Initialized))
	add("Sealed", strconv.FormatBool(s.Sealed))
	add(sharesKey, strconv.Itoa(s.N))
	add("Threshold", strconv.Itoa(s.T))
	if s.Sealed {
		add("Unseal Progress", fmt.Sprintf("%d/%d", s.Progress, s.T))
		add("Unseal Nonce", s.Nonce)
	}
	if s.Migration {
		add("Seal Migration in Progress", "true")
	}
	add("Version", s.Version)
	add("Build Date", s.BuildDate)
	add("Storage Type", s.StorageType)
	if s.ClusterName != "" && s.ClusterID != "" {
		add("Cluster Name", s.ClusterName)
		add("Cluster ID", s.ClusterID)
	}
	add("HA Enabled", strconv.FormatBool(s.HAEnabled))
	if s.HAEnabled && !s.Sealed {
		add("HA Cluster", s.LeaderClusterAddress)
		if s.IsSelf {
			add("HA Mode", "active")
			if !s.ActiveTime.IsZero() {
				add("Active Since", s.ActiveTime.Format(time.RFC3339Nano))
			}
		} else {
			addr := s.LeaderAddress
			if addr == "" {
				addr = "<none>"
			}
			add("HA Mode", "standby")
			add("Active Node Address", addr)
		}
	}
	for _, w := range s.Warnings {
		add("Warning", w)
	}
	return rows
}
