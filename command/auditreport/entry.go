package auditreport

// The fields of an audit entry the report uses, as Vault writes them;
// every other field of a line is skipped.

type entry struct {
	Time     string    `json:"time"`
	Type     string    `json:"type"`
	Error    string    `json:"error"`
	Auth     *auth     `json:"auth"`
	Request  *request  `json:"request"`
	Response *response `json:"response"`
}

type auth struct {
	ClientToken   string            `json:"client_token"`
	Accessor      string            `json:"accessor"`
	DisplayName   string            `json:"display_name"`
	EntityID      string            `json:"entity_id"`
	Policies      []string          `json:"policies"`
	Metadata      map[string]string `json:"metadata"`
	PolicyResults *struct {
		Allowed bool `json:"allowed"`
	} `json:"policy_results"`
}

type request struct {
	ID            string `json:"id"`
	Operation     string `json:"operation"`
	Path          string `json:"path"`
	MountType     string `json:"mount_type"`
	RemoteAddress string `json:"remote_address"`
	ClientToken   string `json:"client_token"`
	Namespace     *struct {
		Path string `json:"path"`
	} `json:"namespace"`
}

type response struct {
	Auth *auth `json:"auth"`
}
