{{/*
Chart name, truncated so that a CronJob name stays within 52 characters (the Job controller appends
an 11-character suffix to the jobs it creates).
*/}}
{{- define "apps-deployer.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 52 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name: the release name, plus the chart name when the release name does not hold it.
*/}}
{{- define "apps-deployer.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "apps-deployer.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "apps-deployer.selectorLabels" -}}
app.kubernetes.io/name: {{ include "apps-deployer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of every object but the component (reconciler, verifier). */}}
{{- define "apps-deployer.baseLabels" -}}
helm.sh/chart: {{ include "apps-deployer.chart" . }}
{{ include "apps-deployer.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: mattermost-apps
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "apps-deployer.labels" -}}
{{ include "apps-deployer.baseLabels" . }}
app.kubernetes.io/component: reconciler
{{- end }}

{{/* The verify CronJob's name: within 52 characters, like the reconcile CronJob's. */}}
{{- define "apps-deployer.verifyName" -}}
{{- printf "%s-verify" (include "apps-deployer.fullname" . | trunc 45 | trimSuffix "-") }}
{{- end }}

{{/* The verify CronJob's arguments: verify [--repair --wait-lock S] [extraArgs...]. */}}
{{- define "apps-deployer.verifyArgs" -}}
{{- $v := .Values.verify }}
{{- $args := list "verify" }}
{{- if $v.repair }}
{{- $args = concat $args (list "--repair" "--wait-lock" (toString (int $v.waitLockSeconds))) }}
{{- end }}
{{- concat $args $v.extraArgs | toJson }}
{{- end }}

{{/*
The Job spec of both CronJobs (reconcile, verify): the same deadlines, retries, pod failure policy,
identity, configuration and hardening; only the arguments differ.
Argument: dict "root" $ "args" (list) "component" (pod label; "" for none).
*/}}
{{- define "apps-deployer.jobSpec" -}}
{{- $ := .root -}}
activeDeadlineSeconds: {{ $.Values.activeDeadlineSeconds }}
backoffLimit: {{ $.Values.backoffLimit }}
ttlSecondsAfterFinished: {{ $.Values.ttlSecondsAfterFinished }}
{{- if $.Values.podFailurePolicy.enabled }}
podFailurePolicy:
  rules:
    # A pod evicted or preempted did not fail on its own: retry it without counting.
    - action: Ignore
      onPodConditions:
        - type: DisruptionTarget
    # The deployer's own verdicts (1 a bundle failed / verify found drift, 2 configuration,
    # 3 lock held, 143 stopped by SIGTERM): a retry would give the same answer; the next
    # scheduled run retries what is transient. Exit 4 (AWS unavailable before any work) is
    # retried within backoffLimit.
    - action: FailJob
      onExitCodes:
        containerName: apps-deployer
        operator: In
        values: [1, 2, 3, 143]
{{- end }}
template:
  metadata:
    labels:
      {{- include "apps-deployer.selectorLabels" $ | nindent 6 }}
      {{- with .component }}
      app.kubernetes.io/component: {{ . }}
      {{- end }}
      {{- with $.Values.podLabels }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    annotations:
      checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") $ | sha256sum }}
      {{- with $.Values.podAnnotations }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
  spec:
    {{- include "apps-deployer.podSpec" (dict "root" $ "args" .args) | nindent 4 }}
{{- end }}

{{- define "apps-deployer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "apps-deployer.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "apps-deployer.configMapName" -}}
{{- printf "%s-config" (include "apps-deployer.fullname" .) }}
{{- end }}

{{/* repository[:tag][@digest]; the tag defaults to the chart's appVersion. */}}
{{/* Per-app overrides (APPS_DEPLOYER_OVERRIDES_FILE): a ConfigMap mounted read-only. */}}
{{- define "apps-deployer.overridesConfigMapName" -}}
{{- printf "%s-overrides" (include "apps-deployer.fullname" .) }}
{{- end }}
{{- define "apps-deployer.overridesDir" -}}/etc/apps-deployer{{- end }}
{{- define "apps-deployer.overridesFile" -}}/etc/apps-deployer/overrides.yaml{{- end }}

{{- define "apps-deployer.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
Checks the schema cannot express; called by every template so that no partial render passes.
- timing: a run killed at its deadline leaves a lock that expires lockTtlSeconds later; it must be
  gone before the next scheduled run (see values.yaml "Timing").
- memory: the limit must be at least 512Mi (peak RSS target 300 MB plus Node's own overhead).
*/}}
{{- define "apps-deployer.validate" -}}
{{- $v := .Values }}
{{- $worst := add $v.startingDeadlineSeconds $v.activeDeadlineSeconds $v.config.lockTtlSeconds }}
{{- if gt (int $worst) (int $v.scheduleIntervalSeconds) }}
{{- fail (printf "startingDeadlineSeconds (%d) + activeDeadlineSeconds (%d) + config.lockTtlSeconds (%d) = %d exceeds scheduleIntervalSeconds (%d): a run killed at its deadline would leave a lock that blocks the next scheduled run; shorten the deadlines or the lock TTL, or set scheduleIntervalSeconds to the real gap between runs" (int $v.startingDeadlineSeconds) (int $v.activeDeadlineSeconds) (int $v.config.lockTtlSeconds) (int $worst) (int $v.scheduleIntervalSeconds)) }}
{{- end }}
{{- if le (int $v.activeDeadlineSeconds) (int $v.config.lockTtlSeconds) }}
{{- fail (printf "activeDeadlineSeconds (%d) must be longer than config.lockTtlSeconds (%d)" (int $v.activeDeadlineSeconds) (int $v.config.lockTtlSeconds)) }}
{{- end }}
{{- $mem := toString $v.resources.limits.memory }}
{{- if lt (include "apps-deployer.quantityBytes" $mem | float64) 536870912.0 }}
{{- fail (printf "resources.limits.memory %s is below 512Mi: the deployer's peak RSS target is 300 MB at the default concurrency; give it at least 512Mi" $mem) }}
{{- end }}
{{- $c := $v.config }}
{{- if or (not $c.releaseBucket) (eq $c.releaseBucket $c.appsBucket) }}
{{- range list "deployer/" "manifests/" "static/" }}
{{- if or (hasPrefix $c.releasePrefix .) (hasPrefix . $c.releasePrefix) }}
{{- fail (printf "config.releasePrefix %q overlaps the deployer's own prefix %q (release bundles share the apps bucket %s; neither may contain the other); use a prefix such as \"bundles/\" or a separate config.releaseBucket" $c.releasePrefix . $c.appsBucket) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and $v.verify.enabled $v.verify.repair (ge (int $v.verify.waitLockSeconds) (int $v.activeDeadlineSeconds)) }}
{{- fail (printf "verify.waitLockSeconds (%d) must be shorter than activeDeadlineSeconds (%d): verify --repair would be killed while it waits for the lock" (int $v.verify.waitLockSeconds) (int $v.activeDeadlineSeconds)) }}
{{- end }}
{{- if and .Values.serviceAccount.create (not .Values.serviceAccount.roleArn) }}
{{- fail "serviceAccount.roleArn is required when serviceAccount.create is true: the IAM role the job assumes through IRSA" }}
{{- end }}
{{- end }}

{{/*
A Kubernetes quantity (as values.schema.json accepts it: 1.5Gi, 2G, 2048M, 500m, 1e9, .5) → its value
as a decimal number string: binary suffixes Ki..Ei, decimal m, k..E, or an exponent e/E<n>.
*/}}
{{- define "apps-deployer.quantityBytes" -}}
{{- $q := trimPrefix "+" (toString .) }}
{{- $num := $q }}
{{- $mult := 1.0 }}
{{- $binary := dict "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "Pi" 1125899906842624.0 "Ei" 1152921504606846976.0 }}
{{- $decimal := dict "m" 0.001 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "P" 1e15 "E" 1e18 }}
{{- $exp := regexFind "[eE][+-]?[0-9]+$" $q }}
{{- if and (ge (len $q) 2) (hasKey $binary (substr (int (sub (len $q) 2)) (len $q) $q)) }}
{{- $mult = get $binary (substr (int (sub (len $q) 2)) (len $q) $q) }}
{{- $num = substr 0 (int (sub (len $q) 2)) $q }}
{{- else if $exp }}
{{- $num = trimSuffix $exp $q }}
{{- $e := atoi (substr 1 (len $exp) $exp) }}
{{- range until (int (ternary (mul -1 $e) $e (lt $e 0))) }}
{{- $mult = ternary (divf $mult 10.0) (mulf $mult 10.0) (lt $e 0) }}
{{- end }}
{{- else if and (ge (len $q) 1) (hasKey $decimal (substr (int (sub (len $q) 1)) (len $q) $q)) }}
{{- $mult = get $decimal (substr (int (sub (len $q) 1)) (len $q) $q) }}
{{- $num = substr 0 (int (sub (len $q) 1)) $q }}
{{- end }}
{{- mulf (float64 $num) $mult }}
{{- end }}

{{/* Pod-level security context, without keys set to null in values. */}}
{{- define "apps-deployer.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext }}
{{- end }}

{{/* The container's environment: the ConfigMap, plus the webhook URLs from the Secret. */}}
{{- define "apps-deployer.envFrom" -}}
- configMapRef:
    name: {{ include "apps-deployer.configMapName" . }}
{{- end }}

{{- define "apps-deployer.env" -}}
{{- if .Values.webhooks.existingSecret }}
- name: APPS_DEPLOYER_NOTIFY_WEBHOOK_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.webhooks.existingSecret }}
      key: {{ .Values.webhooks.notifyUrlKey }}
      optional: true
- name: APPS_DEPLOYER_ALERT_WEBHOOK_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.webhooks.existingSecret }}
      key: {{ .Values.webhooks.alertUrlKey }}
      optional: true
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The pod spec shared by the CronJob and the `helm test` pod. Argument: dict "root" $ "args" (list).
*/}}
{{- define "apps-deployer.podSpec" -}}
{{- $ := .root -}}
serviceAccountName: {{ include "apps-deployer.serviceAccountName" $ }}
automountServiceAccountToken: {{ $.Values.automountServiceAccountToken }}
restartPolicy: Never
terminationGracePeriodSeconds: {{ $.Values.terminationGracePeriodSeconds }}
{{- with $.Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with $.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- include "apps-deployer.podSecurityContext" $ | nindent 2 }}
containers:
  - name: apps-deployer
    image: {{ include "apps-deployer.image" $ | quote }}
    imagePullPolicy: {{ $.Values.image.pullPolicy }}
    args:
      {{- toYaml .args | nindent 6 }}
    envFrom:
      {{- include "apps-deployer.envFrom" $ | nindent 6 }}
    {{- with (include "apps-deployer.env" $) }}
    env:
      {{- . | nindent 6 }}
    {{- end }}
    securityContext:
      {{- toYaml $.Values.securityContext | nindent 6 }}
    resources:
      {{- toYaml $.Values.resources | nindent 6 }}
    volumeMounts:
      - name: tmp
        mountPath: /tmp
      {{- if $.Values.appOverrides }}
      - name: overrides
        mountPath: {{ include "apps-deployer.overridesDir" $ }}
        readOnly: true
      {{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ $.Values.tmp.sizeLimit }}
      {{- with $.Values.tmp.medium }}
      medium: {{ . }}
      {{- end }}
  {{- if $.Values.appOverrides }}
  - name: overrides
    configMap:
      name: {{ include "apps-deployer.overridesConfigMapName" $ }}
  {{- end }}
{{- with $.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
`kubectl run --overrides` JSON for a one-off pod with the job's identity, configuration and security
context. Argument: dict "root" $ "name" <pod name> "args" (list). A JSON merge patch replaces the
containers list whole, so the container is complete here; its name is the pod's (kubectl attaches to it).
*/}}
{{- define "apps-deployer.runOverrides" -}}
{{- $ := .root -}}
{{- $container := dict "name" .name "image" (include "apps-deployer.image" $) "args" .args "envFrom" (list (dict "configMapRef" (dict "name" (include "apps-deployer.configMapName" $)))) "securityContext" $.Values.securityContext "volumeMounts" (list (dict "name" "tmp" "mountPath" "/tmp")) }}
{{- $env := include "apps-deployer.env" $ | fromYamlArray }}
{{- if $env }}
{{- $_ := set $container "env" $env }}
{{- end }}
{{- $volumes := list (dict "name" "tmp" "emptyDir" (dict "sizeLimit" $.Values.tmp.sizeLimit)) }}
{{- if $.Values.appOverrides }}
{{- $_ := set $container "volumeMounts" (append $container.volumeMounts (dict "name" "overrides" "mountPath" (include "apps-deployer.overridesDir" $) "readOnly" true)) }}
{{- $volumes = append $volumes (dict "name" "overrides" "configMap" (dict "name" (include "apps-deployer.overridesConfigMapName" $))) }}
{{- end }}
{{- $spec := dict "serviceAccountName" (include "apps-deployer.serviceAccountName" $) "automountServiceAccountToken" $.Values.automountServiceAccountToken "securityContext" $.Values.podSecurityContext "containers" (list $container) "volumes" $volumes }}
{{- dict "apiVersion" "v1" "spec" $spec | toJson }}
{{- end }}
