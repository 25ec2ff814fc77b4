package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"
)

// Exit codes of `vaultd status`, as `vault status` has them.
const (
	statusUnsealed = 0
	statusError    = 1
	statusSealed   = 2
)

const statusUsage = `Usage: vaultd status [options]

  Print the seal status of the server. The exit code tells the state:
  0 unsealed, 1 error, 2 sealed.

Options:
`

func (c *cli) status(ctx context.Context, args []string) int {
	fs, cf := c.clientFlagSet("status", statusUsage)
	if code, done := c.parseArgs(fs, args, 0, statusError); done {
		return code
	}
	format, client, code, done := c.formatAndClient(cf, statusError, statusError)
	if done {
		return code
	}
	seal, err := client.Sys().SealStatusWithContext(ctx)
	if err != nil {
		fmt.Fprintf(c.stderr, "Error checking seal status: %s\n", err)
		return statusError
	}
	if code := c.printSealStatus(ctx, client, seal, format); code != 0 {
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
func (c *cli) printSealStatus(ctx context.Context, client *api.Client, seal *api.SealStatusResponse, format string) int {
	out := sealStatusOutput{SealStatusResponse: *seal}
	leader, err := client.Sys().LeaderWithContext(ctx)
	switch {
	case err != nil && strings.Contains(err.Error(), "Vault is sealed"):
		// A server that refuses sys/leader while sealed has told us all
		// there is to know; HA stays off. (Vault answers it while sealed.)
	case err != nil:
		fmt.Fprintf(c.stderr, "Error checking leader status: %s\n", err)
		return 1
	default:
		out.HAEnabled = leader.HAEnabled
		out.IsSelf = leader.IsSelf
		out.ActiveTime = leader.ActiveTime
		out.LeaderAddress = leader.LeaderAddress
		out.LeaderClusterAddress = leader.LeaderClusterAddress
	}
	if format == "json" {
		if err := writeJSON(c.stdout, out); err != nil {
			fmt.Fprintf(c.stderr, "Error writing the output: %s\n", err)
			return 1
		}
		return 0
	}
	writeTable(c.stdout, sealStatusRows(out))
	return 0
}

// sealStatusRows lays the status out in the rows and order of `vault status`.
func sealStatusRows(s sealStatusOutput) []row {
	rows := []row{{"Seal Type", s.Type}}
	sharesKey := "Total Shares"
	if s.RecoverySeal {
		rows = append(rows, row{"Recovery Seal Type", s.RecoverySealType})
		sharesKey = "Total Recovery Shares"
	}
	rows = append(rows,
		row{"Initialized", strconv.FormatBool(s.Initialized)},
		row{"Sealed", strconv.FormatBool(s.Sealed)},
		row{sharesKey, strconv.Itoa(s.N)},
		row{"Threshold", strconv.Itoa(s.T)},
	)
	if s.Sealed {
		rows = append(rows,
			row{"Unseal Progress", fmt.Sprintf("%d/%d", s.Progress, s.T)},
			row{"Unseal Nonce", s.Nonce},
		)
	}
	if s.Migration {
		rows = append(rows, row{"Seal Migration in Progress", "true"})
	}
	rows = append(rows,
		row{"Version", s.Version},
		row{"Build Date", s.BuildDate},
		row{"Storage Type", s.StorageType},
	)
	if s.ClusterName != "" && s.ClusterID != "" {
		rows = append(rows, row{"Cluster Name", s.ClusterName}, row{"Cluster ID", s.ClusterID})
	}
	rows = append(rows, row{"HA Enabled", strconv.FormatBool(s.HAEnabled)})
	if s.HAEnabled && !s.Sealed {
		rows = append(rows, row{"HA Cluster", s.LeaderClusterAddress})
		if s.IsSelf {
			rows = append(rows, row{"HA Mode", "active"})
			if !s.ActiveTime.IsZero() {
				rows = append(rows, row{"Active Since", s.ActiveTime.Format(time.RFC3339Nano)})
			}
		} else {
			addr := s.LeaderAddress
			if addr == "" {
				addr = "<none>"
			}
			rows = append(rows, row{"HA Mode", "standby"}, row{"Active Node Address", addr})
		}
	}
	for _, w := range s.Warnings {
		rows = append(rows, row{"Warning", w})
	}
	return rows
}
