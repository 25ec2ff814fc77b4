// Package metrics is the server's Prometheus registry and the
// logical.MetricSink that feeds it. One Metrics belongs to one node: no
// global registry is used, so two servers in one process (as in tests)
// never mix their figures. Metric names follow Vault's
// (vault_core_handle_request, vault_route_<operation>_<mount>,
// vault_expire_num_leases, …) so that existing dashboards and alerts find
// them. Labels carry operation names, mount points and method types only,
// never a path below a mount or a token.
package metrics
