package core

// operatorRoutes gathers the sys/ paths added for operators: key rotation
// config, tools, host info, lease upkeep, metrics and quotas.
func (b *sysBackend) operatorRoutes() []sysRoute {
	var r []sysRoute
	r = append(r, b.rotateRoutes()...)
	r = append(r, b.toolRoutes()...)
	r = append(r, b.hostInfoRoutes()...)
	r = append(r, b.leaseOpsRoutes()...)
	return r
}
