// Package audit records every request vaultd answers, in HashiCorp Vault's
// audit-log format, to one or more audit devices.
//
// The Broker fans each entry out to every enabled Device and fails closed:
// when at least one device is enabled and none of them could write an
// entry, the Broker returns an error and core must refuse the request (or
// withhold the response).
//
// A Formatter turns a LogInput into one entry: a single JSON object (or its
// JSONx form) on a single line. Unless a device is configured with
// log_raw=true, every string that can carry a secret - the client token and
// its accessor, every string value in request and response data, however
// deeply nested - is written as "hmac-sha256:<hex>", an HMAC-SHA256 keyed by
// the device's salt, so an operator holding a known value can find it in the
// log (sys/audit-hash) without the log ever holding the value itself.
//
// Device types live in sub-packages; the "file" device is audit/file.
package audit
