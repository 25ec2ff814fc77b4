package command

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"

	"github.com/hashicorp/vault/api"
)

// The operator ceremonies that need a quorum of key holders:
// generate-root and rekey.

func operatorCeremonyCommands() []spec {
	return []spec{
		{name: "operator generate-root", synopsis: "Generates a new root token", run: runGenerateRoot, help: `Usage: vault operator generate-root [options] [KEY]

  Generates a new root token from a quorum of unseal key shares. One person
  starts the attempt with -init; it prints a nonce and, unless -otp gives
  one, a one-time password (OTP). Each key holder then runs the command
  with -nonce and gives a share (as the argument, or typed without echo).
  The last share prints the new token encoded with the OTP; decode it:

      $ vault operator generate-root -init
      $ vault operator generate-root -nonce=NONCE
      $ vault operator generate-root -decode=ENCODED -otp=OTP

  -status prints the attempt under way, -cancel discards it, and
  -generate-otp prints an OTP of the length the server wants.
`},
		{name: "operator rekey", synopsis: "Generates new unseal keys", run: runRekey, help: `Usage: vault operator rekey [options] [KEY]

  Replaces the unseal key with a new one split into new shares, given a
  quorum of the current shares. One person starts it with -init and the
  new -key-shares and -key-threshold; each current holder then runs the
  command with -nonce and gives a share. The last share prints the new
  shares, once. From then on only they unseal.

      $ vault operator rekey -init -key-shares=3 -key-threshold=2
      $ vault operator rekey -nonce=NONCE

  -status prints the rekey under way and -cancel discards it.
`},
	}
}

func runGenerateRoot(b *base, args []string) int {
	fs := b.flags(flagsHTTP | flagsFormat)
	var initFlag, cancel, status, genOTP bool
	var decode, otp, pgpKey, nonce string
	fs.BoolVar(&initFlag, "init", false, "Start a root token generation.")
	fs.BoolVar(&cancel, "cancel", false, "Cancel the root token generation under way.")
	fs.BoolVar(&status, "status", false, "Print the root token generation under way.")
	fs.BoolVar(&genOTP, "generate-otp", false, "Print a one-time password of the length the server wants.")
	fs.StringVar(&decode, "decode", "", "Decode this encoded root token with -otp.")
	fs.StringVar(&otp, "otp", "", "The one-time password, for -init or -decode.")
	fs.StringVar(&pgpKey, "pgp-key", "", "Not supported by vaultd: the token is encoded with an OTP.")
	fs.StringVar(&nonce, "nonce", "", "The nonce of the attempt, given with each share.")
	client, pos, code, ok := b.connect(args, 0, 1)
	if !ok {
		return code
	}
	sys, p := client.Sys(), b.out()
	switch {
	case genOTP:
		st, err := sys.GenerateRootStatusWithContext(b.ctx)
		if err != nil {
			return b.remote("Error getting root generation status", err)
		}
		o, err := randomOTP(st.OTPLength)
		if err != nil {
			b.errorf("Error reading random bytes: %s", err)
			return exitRemote
		}
		return p.raw(o)
	case decode != "":
		if otp == "" {
			b.errorf("Missing otp: use -otp to supply it")
			return exitLocal
		}
		token, err := decodeRootToken(decode, otp)
		if err != nil {
			b.errorf("Error decoding the root token: %s", err)
			return exitLocal
		}
		return p.raw(token)
	case cancel:
		if err := sys.GenerateRootCancelWithContext(b.ctx); err != nil {
			return b.remote("Error canceling root token generation", err)
		}
		return p.success("Root token generation canceled")
	case initFlag:
		st, err := sys.GenerateRootInitWithContext(b.ctx, otp, pgpKey)
		if err != nil {
			return b.remote("Error initializing root generation", err)
		}
		code := printGenerateRoot(p, st)
		if st.OTP != "" && p.format == "table" {
			p.warn("A One-Time-Password has been generated for you and is shown in the OTP field. " +
				"You will need this value to decode the resulting root token, so keep it safe.")
		}
		return code
	case status:
		st, err := sys.GenerateRootStatusWithContext(b.ctx)
		if err != nil {
			return b.remote("Error getting root generation status", err)
		}
		return printGenerateRoot(p, st)
	}
	key := ""
	if len(pos) == 1 {
		key = strings.TrimSpace(pos[0])
	}
	if nonce == "" {
		st, err := sys.GenerateRootStatusWithContext(b.ctx)
		if err != nil {
			return b.remote("Error getting root generation status", err)
		}
		if !st.Started {
			b.errorf("No root generation is in progress: start one with -init")
			return exitLocal
		}
		nonce = st.Nonce
	}
	if key == "" {
		var err error
		if key, err = readUnsealKey(b.ctx, b.streams.Stdin, b.streams.Stderr); err != nil {
			b.errorf("Error reading the unseal key: %s", err)
			return exitLocal
		}
	}
	st, err := sys.GenerateRootUpdateWithContext(b.ctx, key, nonce)
	if err != nil {
		return b.remote("Error posting unseal key", err)
	}
	return printGenerateRoot(p, st)
}

func printGenerateRoot(p *printer, st *api.GenerateRootStatusResponse) int {
	if p.format != "table" {
		return p.encode(st)
	}
	rows := [][]string{{"Key", "Value"},
		{"Nonce", st.Nonce},
		{"Started", fmt.Sprint(st.Started)},
		{"Progress", fmt.Sprintf("%d/%d", st.Progress, st.Required)},
		{"Complete", fmt.Sprint(st.Complete)},
	}
	if st.EncodedRootToken != "" {
		rows = append(rows, []string{"Encoded Token", st.EncodedRootToken})
	}
	if st.OTP != "" {
		rows = append(rows, []string{"OTP", st.OTP})
	}
	rows = append(rows, []string{"OTP Length", fmt.Sprint(st.OTPLength)})
	p.table(rows)
	return exitOK
}

// randomOTP draws n base62 characters, as the vault CLI's -generate-otp.
func randomOTP(n int) (string, error) {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	out := make([]byte, n)
	for i := range out {
		v, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", err
		}
		out[i] = alphabet[v.Int64()]
	}
	return string(out), nil
}

// decodeRootToken undoes the server's encoding: unpadded base64, XORed
// with the OTP.
func decodeRootToken(encoded, otp string) (string, error) {
	raw, err := base64.RawStdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return "", fmt.Errorf("error decoding base64'd token: %w", err)
	}
	if len(raw) != len(otp) {
		return "", fmt.Errorf("the OTP is %d characters long, the token %d", len(otp), len(raw))
	}
	for i := range raw {
		raw[i] ^= otp[i]
	}
	return string(raw), nil
}

func runRekey(b *base, args []string) int {
	fs := b.flags(flagsHTTP | flagsFormat)
	var initFlag, cancel, status bool
	var shares, threshold int
	var nonce, target string
	fs.BoolVar(&initFlag, "init", false, "Start a rekey.")
	fs.BoolVar(&cancel, "cancel", false, "Cancel the rekey under way.")
	fs.BoolVar(&status, "status", false, "Print the rekey under way.")
	fs.IntVar(&shares, "key-shares", 5, "Number of new key shares.")
	fs.IntVar(&shares, "n", 5, "Alias of -key-shares.")
	fs.IntVar(&threshold, "key-threshold", 3, "Number of new key shares needed to unseal.")
	fs.IntVar(&threshold, "t", 3, "Alias of -key-threshold.")
	fs.StringVar(&nonce, "nonce", "", "The nonce of the rekey, given with each share.")
	fs.StringVar(&target, "target", "barrier", "Only barrier: vaultd has no recovery keys.")
	pos, code, ok := b.parseN(args, 0, 1)
	if !ok {
		return code
	}
	if target != "barrier" {
		b.errorf("Unsupported -target %q: vaultd has only the barrier (unseal) key", target)
		return exitLocal
	}
	client, ok := b.client()
	if !ok {
		return exitRemote
	}
	sys, p := client.Sys(), b.out()
	switch {
	case cancel:
		if err := sys.RekeyCancelWithContext(b.ctx); err != nil {
			return b.remote("Error canceling rekey", err)
		}
		return p.success("Rekey canceled.")
	case initFlag:
		st, err := sys.RekeyInitWithContext(b.ctx, &api.RekeyInitRequest{SecretShares: shares, SecretThreshold: threshold})
		if err != nil {
			return b.remote("Error initializing rekey", err)
		}
		return printRekeyStatus(p, st)
	case status:
		st, err := sys.RekeyStatusWithContext(b.ctx)
		if err != nil {
			return b.remote("Error reading rekey status", err)
		}
		return printRekeyStatus(p, st)
	}
	// The status gives the nonce when none is given, and the new
	// threshold for the closing words.
	before, err := sys.RekeyStatusWithContext(b.ctx)
	if err != nil {
		return b.remote("Error reading rekey status", err)
	}
	if !before.Started {
		b.errorf("No rekey is in progress: start one with -init")
		return exitLocal
	}
	if nonce == "" {
		nonce = before.Nonce
	}
	key := ""
	if len(pos) == 1 {
		key = strings.TrimSpace(pos[0])
	}
	if key == "" {
		if key, err = readUnsealKey(b.ctx, b.streams.Stdin, b.streams.Stderr); err != nil {
			b.errorf("Error reading the unseal key: %s", err)
			return exitLocal
		}
	}
	resp, err := sys.RekeyUpdateWithContext(b.ctx, key, nonce)
	if err != nil {
		return b.remote("Error posting unseal key", err)
	}
	if !resp.Complete {
		st, err := sys.RekeyStatusWithContext(b.ctx)
		if err != nil {
			return b.remote("Error reading rekey status", err)
		}
		return printRekeyStatus(p, st)
	}
	if p.format != "table" {
		return p.encode(resp)
	}
	keys := resp.Keys
	if len(resp.KeysB64) == len(resp.Keys) {
		keys = resp.KeysB64
	}
	for i, k := range keys {
		p.linef("Key %d: %s", i+1, k)
	}
	p.linef("\nOperation nonce: %s\n", resp.Nonce)
	p.paragraph(fmt.Sprintf("Vault unseal keys rekeyed with %d key shares and a key threshold of %d. "+
		"Please securely distribute the key shares printed above. When Vault is re-sealed, "+
		"restarted, or stopped, you must supply at least %d of these keys to unseal it "+
		"before it can start servicing requests.", len(keys), before.T, before.T))
	return exitOK
}

func printRekeyStatus(p *printer, st *api.RekeyStatusResponse) int {
	if p.format != "table" {
		return p.encode(st)
	}
	p.table([][]string{{"Key", "Value"},
		{"Nonce", st.Nonce},
		{"Started", fmt.Sprint(st.Started)},
		{"Rekey Progress", fmt.Sprintf("%d/%d", st.Progress, st.Required)},
		{"New Shares", fmt.Sprint(st.N)},
		{"New Threshold", fmt.Sprint(st.T)},
		{"Verification Required", fmt.Sprint(st.VerificationRequired)},
	})
	return exitOK
}
