{{/*
Chart name, overridable with nameOverride. Truncated to 63 characters (the DNS label limit).
*/}}
{{- define "parley.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified release prefix of every resource name, truncated to 63 characters.
If the release name already contains the chart name it is used as is.
*/}}
{{- define "parley.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Name of a per-component resource: "<fullname>-<component>". The prefix is shortened so that the
component suffix always survives and the result stays within 63 characters, so two components
never truncate to the same name.
Usage: include "parley.componentName" (dict "root" $ "component" "gateway")
*/}}
{{- define "parley.componentName" -}}
{{- $component := .component | trunc 40 }}
{{- $prefix := include "parley.fullname" .root | trunc (int (sub 62 (len $component))) | trimSuffix "-" }}
{{- printf "%s-%s" $prefix $component }}
{{- end }}

{{/*
Chart name and version, as used by the helm.sh/chart label.
*/}}
{{- define "parley.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every resource of the release.
*/}}
{{- define "parley.labels" -}}
helm.sh/chart: {{ include "parley.chart" . }}
{{ include "parley.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | trunc 63 | trimSuffix "-" | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels that identify the release's pods (immutable once a Deployment exists).
*/}}
{{- define "parley.selectorLabels" -}}
app.kubernetes.io/name: {{ include "parley.name" . }}
app.kubernetes.io/instance: {{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of one component (gateway, inference, ...): the release labels plus component and part-of.
Usage: include "parley.componentLabels" (dict "root" $ "component" "gateway")
*/}}
{{- define "parley.componentLabels" -}}
{{ include "parley.labels" .root }}
app.kubernetes.io/component: {{ .component | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/part-of: parley
{{- end }}

{{/*
Selector labels of one component.
Usage: include "parley.componentSelectorLabels" (dict "root" $ "component" "gateway")
*/}}
{{- define "parley.componentSelectorLabels" -}}
{{ include "parley.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Effective settings of one service: .Values.defaults with .Values.services.<name> merged over it
(maps merge key by key, lists and scalars replace). Returned as YAML; read it with fromYaml.
Usage: include "parley.service" (dict "root" $ "name" "gateway") | fromYaml
*/}}
{{- define "parley.service" -}}
{{- $defaults := deepCopy (default (dict) .root.Values.defaults) }}
{{- $overrides := deepCopy (default (dict) (index .root.Values.services .name)) }}
{{- toYaml (mergeOverwrite $defaults $overrides) }}
{{- end }}

{{/*
Whether a service is enabled ("true" or "").
Usage: include "parley.enabled" (dict "root" $ "name" "inference")
*/}}
{{- define "parley.enabled" -}}
{{- $svc := index .root.Values.services .name }}
{{- if and $svc $svc.enabled }}true{{ end }}
{{- end }}

{{/*
Container image of a service: [registry/][repository/]<image.name or parley-<service>>:<tag>.
Usage: include "parley.image" (dict "root" $ "name" "gateway" "svc" $svc)
*/}}
{{- define "parley.image" -}}
{{- $img := .root.Values.image }}
{{- $own := default (dict) .svc.image }}
{{- $name := default (printf "parley-%s" .name) $own.name }}
{{- $tag := default (default .root.Chart.AppVersion $img.tag) $own.tag }}
{{- $parts := list }}
{{- with $img.registry }}{{ $parts = append $parts (trimSuffix "/" .) }}{{ end }}
{{- with $img.repository }}{{ $parts = append $parts (trimAll "/" .) }}{{ end }}
{{- $parts = append $parts $name }}
{{- printf "%s:%s" (join "/" $parts) (toString $tag) }}
{{- end }}

{{/*
Whether the files service runs trainers as Kubernetes Jobs (files enabled, fineTuning.runner
kubernetes): "true" or "".
*/}}
{{- define "parley.trainerJobs" -}}
{{- if and (include "parley.enabled" (dict "root" . "name" "files")) (eq .Values.fineTuning.runner "kubernetes") }}true{{ end }}
{{- end }}

{{/*
The trainer image of the fine-tuning Jobs: fineTuning.kubernetes.image.repository, or
<registry>/<repository>/parley-trainer; the tag defaults as the services' do.
*/}}
{{- define "parley.trainerImage" -}}
{{- $k := .Values.fineTuning.kubernetes.image }}
{{- if $k.repository }}
{{- printf "%s:%s" $k.repository (toString (default (default .Chart.AppVersion .Values.image.tag) $k.tag)) }}
{{- else }}
{{- include "parley.image" (dict "root" . "name" "trainer" "svc" (dict "image" (dict "tag" $k.tag))) }}
{{- end }}
{{- end }}

{{/*
Name of the claim shared by the files pods and the trainer's Jobs (the fine-tuning work directory).
*/}}
{{- define "parley.fineTuningWorkClaim" -}}
{{- default (include "parley.componentName" (dict "root" . "component" "fine-tuning-work")) .Values.fineTuning.kubernetes.workVolume.existingClaim }}
{{- end }}

{{/*
Name of the Secret that holds the admin key.
*/}}
{{- define "parley.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- include "parley.componentName" (dict "root" . "component" "secrets") }}
{{- end }}
{{- end }}

{{/*
Name of the ServiceAccount the pods run as.
*/}}
{{- define "parley.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "parley.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Name of the PersistentVolumeClaim of the inference model cache.
*/}}
{{- define "parley.modelCacheClaim" -}}
{{- if .Values.models.cache.persistence.existingClaim }}
{{- .Values.models.cache.persistence.existingClaim }}
{{- else }}
{{- include "parley.componentName" (dict "root" . "component" "model-cache") }}
{{- end }}
{{- end }}

{{/*
Name of the PersistentVolumeClaim of the files service's blobs.
*/}}
{{- define "parley.fileStoreClaim" -}}
{{- if .Values.fileStore.persistence.existingClaim }}
{{- .Values.fileStore.persistence.existingClaim }}
{{- else }}
{{- include "parley.componentName" (dict "root" . "component" "file-store") }}
{{- end }}
{{- end }}

{{/*
Environment variable name fragment of an id (a model or a service), following MicroProfile Config's mapping
(every character other than a letter or digit becomes "_", then upper case):
"llama-3.2-1b" -> "LLAMA_3_2_1B".
*/}}
{{- define "parley.modelEnvId" -}}
{{- regexReplaceAll "[^A-Za-z0-9]" . "_" | upper }}
{{- end }}

{{/*
gRPC target of a service, as its clients dial it: the headless Service resolved by DNS, so the
client's round_robin policy spreads calls over every ready pod.
Usage: include "parley.grpcTarget" (dict "root" $ "name" "inference")
*/}}
{{- define "parley.grpcTarget" -}}
{{- $svc := include "parley.service" . | fromYaml }}
{{- printf "dns:///%s:%v" (include "parley.componentName" (dict "root" .root "component" .name)) (int $svc.ports.grpc) }}
{{- end }}

{{/*
Non-secret environment of a service (the data of its ConfigMap), as YAML.
Usage: include "parley.configData" (dict "root" $ "name" "gateway")
*/}}
{{- define "parley.configData" -}}
{{- $root := .root }}
{{- $name := .name }}
{{- $svc := include "parley.service" . | fromYaml }}
{{- /* Liberty listens on every interface (its server.xml default is loopback only). */ -}}
HTTP_HOST: "*"
HTTP_PORT: {{ $svc.ports.http | int | quote }}
{{- with $svc.ports.grpc }}
{{- /* gRPC listens on every interface of the pod (the services' own default is loopback). */}}
PARLEY_GRPC_HOST: "0.0.0.0"
PARLEY_GRPC_PORT: {{ . | int | quote }}
{{- /* Calls in flight get what is left of the grace period after the preStop pause. */}}
{{- $shutdownGrace := sub (sub (int $svc.terminationGracePeriodSeconds) (int $svc.preStopSleepSeconds)) 5 }}
PARLEY_GRPC_SHUTDOWN_GRACE_MS: {{ mul (max 1 $shutdownGrace) 1000 | quote }}
{{- end }}
{{- /* Mutual TLS: this service's certificate Secret, mounted by its Deployment. */}}
PARLEY_TLS_CERT_FILE: "/etc/parley/tls/tls.crt"
PARLEY_TLS_KEY_FILE: "/etc/parley/tls/tls.key"
PARLEY_TLS_CA_FILE: "/etc/parley/tls/ca.crt"
PARLEY_TLS_REFRESH_MS: {{ $root.Values.tls.refreshMs | int | quote }}
{{- if $root.Values.metrics.auth.existingSecret }}
{{- /* /metrics answers only with the scrape token, mounted by the Deployment. */}}
PARLEY_METRICS_TOKEN_FILE: "/etc/parley/metrics/token"
{{- end }}
{{- with $root.Values.tracing.otlpEndpoint }}
{{- /* Traces leave the pod only when a collector is configured. */}}
OTEL_TRACES_EXPORTER: "otlp"
OTEL_EXPORTER_OTLP_ENDPOINT: {{ . | quote }}
OTEL_EXPORTER_OTLP_PROTOCOL: {{ $root.Values.tracing.protocol | quote }}
OTEL_TRACES_SAMPLER: "parentbased_traceidratio"
OTEL_TRACES_SAMPLER_ARG: {{ $root.Values.tracing.samplerRatio | toString | quote }}
{{- end }}
{{- if eq $name "gateway" }}
{{- /* The gateway dials every enabled gRPC service: PARLEY_<SERVICE>_TARGET. */}}
{{- range $other, $_ := $root.Values.services }}
{{- if and (ne $other $name) (include "parley.enabled" (dict "root" $root "name" $other)) }}
{{- $otherSvc := include "parley.service" (dict "root" $root "name" $other) | fromYaml }}
{{- if $otherSvc.ports.grpc }}
PARLEY_{{ include "parley.modelEnvId" $other }}_TARGET: {{ include "parley.grpcTarget" (dict "root" $root "name" $other) | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- /* Several gateways share their limits and budgets in Redis; one keeps them in memory. */}}
{{- if $root.Values.redis.url }}
PARLEY_GATEWAY_LIMITER: "redis"
PARLEY_GATEWAY_REDIS_URL: {{ $root.Values.redis.url | quote }}
{{- if $root.Values.redis.existingSecret }}
PARLEY_GATEWAY_REDIS_PASSWORD_FILE: "/etc/parley/redis/password"
{{- end }}
{{- else if or (gt (int $svc.replicaCount) 1) $svc.autoscaling.enabled }}
{{- fail "the gateway runs more than one replica: set redis.url so that rate limits and budgets are shared" }}
{{- end }}
{{- if include "parley.enabled" (dict "root" $root "name" "files") }}
PARLEY_FILES_MAX_UPLOAD_BYTES: {{ $root.Values.fileStore.maxFileBytes | int64 | quote }}
{{- end }}
{{- /* The usage outbox journal: its own writable volume (services.gateway.writableDirs.outbox). */}}
{{- with $svc.writableDirs.outbox }}
PARLEY_GATEWAY_OUTBOX_DIR: {{ .mountPath | quote }}
{{- end }}
{{- if $svc.mountAdminKey }}
PARLEY_GATEWAY_ADMIN_KEY_FILE: "/etc/parley/secrets/admin-key"
{{- /* The key comes from the Secret; never generate one into the read-only filesystem. */}}
PARLEY_GATEWAY_ADMIN_KEY_GENERATE: "false"
{{- end }}
{{- end }}
{{- if eq $name "inference" }}
{{- $models := $root.Values.models }}
{{- with $models.served }}
PARLEY_INFERENCE_MODELS: {{ keys . | sortAlpha | join "," | quote }}
{{- end }}
{{- range $id := keys $models.served | sortAlpha }}
{{- $model := index $models.served $id }}
{{- $envId := include "parley.modelEnvId" $id }}
{{- if $model.path }}
PARLEY_INFERENCE_MODEL_{{ $envId }}_PATH: {{ $model.path | quote }}
{{- else if $model.image }}
{{- /* Copied from the model's image into the cache by an init container. */}}
PARLEY_INFERENCE_MODEL_{{ $envId }}_PATH: {{ printf "%s/%s.gguf" $models.cache.mountPath $id | quote }}
{{- else if and $model.url $model.sha256 }}
PARLEY_INFERENCE_MODEL_{{ $envId }}_URL: {{ $model.url | quote }}
PARLEY_INFERENCE_MODEL_{{ $envId }}_SHA256: {{ $model.sha256 | lower | quote }}
{{- else }}
{{- fail (printf "models.served.%s needs path, url and sha256, or image" $id) }}
{{- end }}
{{- end }}
PARLEY_INFERENCE_CACHE_DIR: {{ $models.cache.mountPath | quote }}
{{- if include "parley.enabled" (dict "root" $root "name" "files") }}
{{- /* Fine-tuned models: inference asks the files service's registry and fetches adapters. */}}
PARLEY_FILES_TARGET: {{ include "parley.grpcTarget" (dict "root" $root "name" "files") | quote }}
{{- end }}
{{- if gt (int $models.threads) 0 }}
PARLEY_INFERENCE_THREADS: {{ $models.threads | int | quote }}
{{- end }}
{{- if gt (int $models.slots) 0 }}
PARLEY_INFERENCE_SLOTS: {{ $models.slots | int | quote }}
{{- end }}
{{- end }}
{{- if or (eq $name "usage") (eq $name "files") }}
{{- $db := $root.Values.database }}
{{- $prefix := printf "PARLEY_%s_DB" (upper $name) }}
{{- if eq $db.type "postgresql" }}
{{- $pg := $db.postgresql }}
{{- if not $pg.host }}
{{- fail "database.postgresql.host is required when database.type is postgresql" }}
{{- end }}
{{- if not $pg.existingSecret }}
{{- fail "database.postgresql.existingSecret (the password) is required when database.type is postgresql" }}
{{- end }}
{{- $url := printf "jdbc:postgresql://%s:%d/%s" $pg.host (int $pg.port) (index $pg.databases $name) }}
{{ $prefix }}_URL: {{ ternary (printf "%s?%s" $url $pg.parameters) $url (ne $pg.parameters "") | quote }}
{{ $prefix }}_USER: {{ $pg.user | quote }}
{{ $prefix }}_PASSWORD_FILE: "/etc/parley/db/password"
{{- else }}
{{- if or (gt (int $svc.replicaCount) 1) $svc.autoscaling.enabled }}
{{- fail (printf "%s runs more than one replica: its embedded database cannot be shared; set database.type=postgresql" $name) }}
{{- end }}
{{ $prefix }}_URL: {{ printf "jdbc:h2:file:%s/%s" $db.embedded.mountPath $name | quote }}
{{- end }}
{{- end }}
{{- if eq $name "usage" }}
PARLEY_USAGE_BOOTSTRAP_KEY_FILE: "/etc/parley/secrets/admin-key"
{{- end }}
{{- if eq $name "files" }}
{{- $store := $root.Values.fileStore }}
PARLEY_FILES_STORE: {{ $store.type | quote }}
{{- if eq $store.type "s3" }}
{{- if not $store.s3.bucket }}
{{- fail "fileStore.s3.bucket is required when fileStore.type is s3" }}
{{- end }}
PARLEY_FILES_S3_BUCKET: {{ $store.s3.bucket | quote }}
{{- with $store.s3.endpoint }}
PARLEY_FILES_S3_ENDPOINT: {{ . | quote }}
{{- end }}
PARLEY_FILES_S3_REGION: {{ $store.s3.region | quote }}
PARLEY_FILES_S3_PATH_STYLE: {{ $store.s3.pathStyle | toString | quote }}
{{- if $store.s3.existingSecret }}
PARLEY_FILES_S3_ACCESS_KEY_FILE: "/etc/parley/s3/access-key"
PARLEY_FILES_S3_SECRET_KEY_FILE: "/etc/parley/s3/secret-key"
{{- end }}
{{- else }}
PARLEY_FILES_STORE_DIRECTORY: {{ $store.mountPath | quote }}
{{- end }}
PARLEY_FILES_MAX_FILE_BYTES: {{ $root.Values.fileStore.maxFileBytes | int64 | quote }}
PARLEY_FILES_QUOTA_BYTES: {{ $root.Values.fileStore.quotaBytes | int64 | quote }}
{{- $ft := $root.Values.fineTuning }}
{{- with $ft.baseModels }}
{{- $models := list }}
{{- range $id := keys . | sortAlpha }}
{{- $models = append $models (printf "%s=%s" $id (index $ft.baseModels $id)) }}
{{- end }}
PARLEY_FINETUNING_BASE_MODELS: {{ join "," $models | quote }}
{{- end }}
PARLEY_FINETUNING_MAX_CONCURRENT_JOBS: {{ $ft.maxConcurrentJobs | int | quote }}
PARLEY_FINETUNING_RUNNER: {{ $ft.runner | quote }}
{{- if eq $ft.runner "kubernetes" }}
{{- $k := $ft.kubernetes }}
{{- /* The trainer's Jobs: see the Role in rbac.yaml and the work claim in pvc.yaml. */}}
PARLEY_FINETUNING_WORK_DIRECTORY: {{ $k.workVolume.mountPath | quote }}
PARLEY_FINETUNING_KUBERNETES_IMAGE: {{ include "parley.trainerImage" $root | quote }}
PARLEY_FINETUNING_KUBERNETES_IMAGE_PULL_POLICY: {{ $k.image.pullPolicy | quote }}
PARLEY_FINETUNING_KUBERNETES_SERVICE_ACCOUNT: {{ include "parley.serviceAccountName" $root | quote }}
PARLEY_FINETUNING_KUBERNETES_WORK_VOLUME_CLAIM: {{ include "parley.fineTuningWorkClaim" $root | quote }}
PARLEY_FINETUNING_KUBERNETES_MODELS_VOLUME_CLAIM: {{ $k.modelsClaim | quote }}
PARLEY_FINETUNING_KUBERNETES_MODELS_PATH: {{ $k.modelsPath | quote }}
{{- $requests := default (dict) $k.resources.requests }}
{{- $limits := default (dict) $k.resources.limits }}
PARLEY_FINETUNING_KUBERNETES_CPU_REQUEST: {{ default "" $requests.cpu | toString | quote }}
PARLEY_FINETUNING_KUBERNETES_MEMORY_REQUEST: {{ default "" $requests.memory | toString | quote }}
PARLEY_FINETUNING_KUBERNETES_CPU_LIMIT: {{ default "" $limits.cpu | toString | quote }}
PARLEY_FINETUNING_KUBERNETES_MEMORY_LIMIT: {{ default "" $limits.memory | toString | quote }}
PARLEY_FINETUNING_KUBERNETES_GPUS: {{ $k.gpus | int | quote }}
PARLEY_FINETUNING_KUBERNETES_TTL_SECONDS_AFTER_FINISHED: {{ $k.ttlSecondsAfterFinished | int | quote }}
{{- /* The trainer runs as the files pods' user and group: both read and write the work volume. */}}
{{- $podSecurity := default (dict) $svc.podSecurityContext }}
PARLEY_FINETUNING_KUBERNETES_RUN_AS_USER: {{ default 1001 $podSecurity.runAsUser | int64 | quote }}
PARLEY_FINETUNING_KUBERNETES_RUN_AS_GROUP: {{ default 1001 $podSecurity.runAsGroup | int64 | quote }}
{{- end }}
{{- end }}
{{- range $key, $value := $svc.env }}
{{ $key }}: {{ $value | toString | quote }}
{{- end }}
{{- end }}

{{/*
Name of the Secret holding an identity's certificate (tls.crt, tls.key, ca.crt): the one named in
tls.existingSecrets, or <fullname>-<identity>-tls.
Usage: include "parley.tlsSecretName" (dict "root" $ "name" "gateway")
*/}}
{{- define "parley.tlsSecretName" -}}
{{- $existing := default (dict) .root.Values.tls.existingSecrets }}
{{- if hasKey $existing .name }}
{{- index $existing .name }}
{{- else }}
{{- printf "%s-tls" (include "parley.componentName" (dict "root" .root "component" .name)) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/*
The identities the chart makes certificates for, as a comma list: every enabled service and the
operator, less those in tls.existingSecrets.
*/}}
{{- define "parley.tlsIdentities" -}}
{{- $ids := list }}
{{- range $name, $_ := .Values.services }}
{{- if include "parley.enabled" (dict "root" $ "name" $name) }}
{{- $ids = append $ids $name }}
{{- end }}
{{- end }}
{{- if .Values.tls.operator.enabled }}
{{- $ids = append $ids "operator" }}
{{- end }}
{{- $made := list }}
{{- range $ids }}
{{- if not (hasKey (default (dict) $.Values.tls.existingSecrets) .) }}
{{- $made = append $made . }}
{{- end }}
{{- end }}
{{- join "," $made }}
{{- end }}

{{/*
DNS names of a service's certificate: its Service name, short and qualified (the identity itself
travels as a URI or identity DNS name).
*/}}
{{- define "parley.tlsDnsNames" -}}
{{- $svcName := include "parley.componentName" (dict "root" .root "component" .name) }}
{{- $ns := .root.Release.Namespace }}
{{- list $svcName (printf "%s.%s.svc" $svcName $ns) (printf "%s.%s.svc.cluster.local" $svcName $ns) | toJson }}
{{- end }}
