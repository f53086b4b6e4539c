{{- define "imshift.name" -}}{{ .Release.Name }}-imshift{{- end -}}

{{- define "imshift.labels" -}}
app.kubernetes.io/name: imshift
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | quote }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "imshift.selector" -}}
app.kubernetes.io/name: imshift
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "imshift.secretEnv" -}}
- name: {{ .env }}
  valueFrom:
    secretKeyRef: {name: {{ .ref.name | quote }}, key: {{ .ref.key | quote }}}
{{- end -}}

{{/* The Temporal connection and the settings worker setup needs too. */}}
{{- define "imshift.commonEnv" -}}
- {name: TEMPORAL_ADDRESS, value: {{ .Values.temporal.address | quote }}}
- {name: TEMPORAL_NAMESPACE, value: {{ .Values.temporal.namespace | quote }}}
{{- if .Values.temporal.apiKeySecret.name }}
{{ include "imshift.secretEnv" (dict "env" "TEMPORAL_API_KEY" "ref" .Values.temporal.apiKeySecret) }}
{{- end }}
{{- if .Values.temporal.tlsSecret }}
- {name: TEMPORAL_TLS_CLIENT_CERT_PATH, value: /etc/imshift/temporal-tls/tls.crt}
- {name: TEMPORAL_TLS_CLIENT_KEY_PATH, value: /etc/imshift/temporal-tls/tls.key}
{{- if .Values.temporal.tlsServerName }}
- {name: TEMPORAL_TLS_SERVER_NAME, value: {{ .Values.temporal.tlsServerName | quote }}}
{{- end }}
{{- end }}
- {name: IMSHIFT_TASK_QUEUE, value: {{ .Values.worker.taskQueue | quote }}}
{{ include "imshift.secretEnv" (dict "env" "IMSHIFT_DATABASE_URL" "ref" .Values.secrets.databaseURL) }}
{{- if .Values.codec.enabled }}
{{ include "imshift.secretEnv" (dict "env" "IMSHIFT_CODEC_KEYS" "ref" .Values.secrets.codecKeys) }}
{{- end }}
{{- end -}}

{{- define "imshift.temporalTLSVolume" -}}
{{- if .Values.temporal.tlsSecret }}
- name: temporal-tls
  secret: {secretName: {{ .Values.temporal.tlsSecret | quote }}}
{{- end }}
{{- end -}}

{{- define "imshift.temporalTLSMount" -}}
{{- if .Values.temporal.tlsSecret }}
- {name: temporal-tls, mountPath: /etc/imshift/temporal-tls, readOnly: true}
{{- end }}
{{- end -}}
