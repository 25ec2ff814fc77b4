{{/*
The chart's name, or nameOverride.
*/}}
{{- define "vaultd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The name of every object: fullnameOverride, else the release name (with
the chart name appended unless the release name already contains it, or
is its start: the release "vault" of Vault's instructions gives vault-0).
*/}}
{{- define "vaultd.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if or (contains $name .Release.Name) (hasPrefix .Release.Name $name) }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The headless Service that governs the StatefulSet.
*/}}
{{- define "vaultd.internalName" -}}
{{- printf "%s-internal" (include "vaultd.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vaultd.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object.
*/}}
{{- define "vaultd.labels" -}}
helm.sh/chart: {{ include "vaultd.chart" . }}
{{ include "vaultd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels that select the server pod.
*/}}
{{- define "vaultd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vaultd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{- define "vaultd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vaultd.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "vaultd.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/*
http or https, for probes and VAULT_ADDR.
*/}}
{{- define "vaultd.scheme" -}}
{{- if .Values.tls.enabled }}https{{ else }}http{{ end }}
{{- end }}

{{/*
The health query both probes use: every state but "not answering" is a
2xx, so a sealed or uninitialised pod is ready and is never restarted.
*/}}
{{- define "vaultd.healthPath" -}}
/v1/sys/health?standbyok=true&sealedcode=204&uninitcode=204
{{- end }}

{{/*
The server configuration file, vaultd.hcl.
*/}}
{{- define "vaultd.config" -}}
{{- if .Values.server.ha.enabled }}
# Integrated storage: every pod asks the others (by their stable names on
# the headless Service) to join, until one answers.
storage "raft" {
  path = "/vault/data"
  performance_multiplier = {{ .Values.server.ha.raft.performanceMultiplier }}
{{- $fullname := include "vaultd.fullname" . }}
{{- $internal := include "vaultd.internalName" . }}
{{- $scheme := include "vaultd.scheme" . }}
{{- range $i := until (int .Values.server.ha.replicas) }}
  retry_join {
    leader_api_addr = "{{ $scheme }}://{{ $fullname }}-{{ $i }}.{{ $internal }}:8200"
{{- if and $.Values.tls.enabled $.Values.tls.caKey }}
    leader_ca_cert_file = "/vault/tls/{{ $.Values.tls.caKey }}"
{{- end }}
  }
{{- end }}
}
{{- else }}
storage "bbolt" {
  path = "/vault/data"
}
{{- end }}

listener "tcp" {
  address = "0.0.0.0:8200"
{{- if .Values.tls.enabled }}
  tls_disable     = false
  tls_cert_file   = "/vault/tls/{{ .Values.tls.certKey }}"
  tls_key_file    = "/vault/tls/{{ .Values.tls.keyKey }}"
  tls_min_version = {{ .Values.tls.minVersion | quote }}
{{- else }}
  tls_disable = true
{{- end }}
{{- if and .Values.serviceMonitor.enabled .Values.serviceMonitor.unauthenticatedMetricsAccess }}
  telemetry {
    unauthenticated_metrics_access = true
  }
{{- end }}
}

{{- if .Values.server.ha.enabled }}
# Each pod's own addresses: its pod IP, rendered by go-sockaddr at start.
api_addr      = "{{ include "vaultd.scheme" . }}://{{ "{{ GetPrivateIP }}" }}:8200"
cluster_addr  = "https://{{ "{{ GetPrivateIP }}" }}:8201"
{{- else }}
api_addr      = "{{ include "vaultd.scheme" . }}://{{ include "vaultd.fullname" . }}.{{ .Release.Namespace }}.svc:{{ .Values.service.port }}"
{{- end }}
cluster_name  = {{ include "vaultd.fullname" . | quote }}
disable_mlock = {{ not .Values.server.mlock }}
log_level     = {{ .Values.server.logLevel | quote }}
log_format    = {{ .Values.server.logFormat | quote }}
{{- if .Values.server.auditStdout }}

audit "file" "stdout/" {
  options = {
    file_path = "stdout"
  }
}
{{- end }}
{{- end }}

{{/*
The injector's object names, as Vault's chart names them:
<fullname>-agent-injector, its Service -svc and its webhook configuration
-cfg.
*/}}
{{- define "vaultd.injectorName" -}}
{{- printf "%s-agent-injector" (include "vaultd.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vaultd.injectorSelectorLabels" -}}
app.kubernetes.io/name: {{ include "vaultd.name" . }}-agent-injector
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: injector
{{- end }}

{{- define "vaultd.injectorLabels" -}}
helm.sh/chart: {{ include "vaultd.chart" . }}
{{ include "vaultd.injectorSelectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The image of the injector and of the agent containers it adds: the
server's image unless injector.image / injector.agentImage name another.
*/}}
{{- define "vaultd.injectorImage" -}}
{{- $repo := .Values.injector.image.repository | default .Values.image.repository }}
{{- $tag := .Values.injector.image.tag | default .Values.image.tag | default .Chart.AppVersion }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}

{{- define "vaultd.agentImage" -}}
{{- $repo := .Values.injector.agentImage.repository | default .Values.image.repository }}
{{- $tag := .Values.injector.agentImage.tag | default .Values.image.tag | default .Chart.AppVersion }}
{{- printf "%s:%s" $repo $tag }}
{{- end }}

{{/*
Where the injected agents reach the server.
*/}}
{{- define "vaultd.agentVaultAddr" -}}
{{- if .Values.injector.externalVaultAddr }}
{{- .Values.injector.externalVaultAddr }}
{{- else }}
{{- include "vaultd.scheme" . }}://{{ include "vaultd.fullname" . }}.{{ .Release.Namespace }}.svc:{{ .Values.service.port }}
{{- end }}
{{- end }}
