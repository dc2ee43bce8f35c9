//! Field tables of the `core/v1` messages berth decodes from protobuf (generated, then kept by hand).
//!
//! Tags and wire types come from Kubernetes' `core/v1/generated.proto` (as the `k8s-pb` crate
//! renders them); JSON names are the Go `json` tags (as `k8s-openapi` renders them). `keep` marks
//! fields whose zero value means something (Go pointers, or fields without `omitempty`).
//! Message names are the protobuf ones, so `PodDnsConfig` rather than `PodDNSConfig`.

use super::meta_v1::*;
use super::schema::Elem::*;
use super::schema::Kind::*;
use super::schema::{f, keep, msg, Message};

pub(crate) static AFFINITY: Message = msg("Affinity", &[
    f(1, "nodeAffinity", One(Msg(&NODE_AFFINITY))),
    f(2, "podAffinity", One(Msg(&POD_AFFINITY))),
    f(3, "podAntiAffinity", One(Msg(&POD_ANTI_AFFINITY))),
]);
pub(crate) static APP_ARMOR_PROFILE: Message = msg("AppArmorProfile", &[
    f(1, "type", One(Str)),
    keep(2, "localhostProfile", One(Str)),
]);
pub(crate) static AWS_ELASTIC_BLOCK_STORE_VOLUME_SOURCE: Message = msg("AwsElasticBlockStoreVolumeSource", &[
    f(1, "volumeID", One(Str)),
    f(2, "fsType", One(Str)),
    f(3, "partition", One(Int32)),
    f(4, "readOnly", One(Bool)),
]);
pub(crate) static AZURE_DISK_VOLUME_SOURCE: Message = msg("AzureDiskVolumeSource", &[
    f(1, "diskName", One(Str)),
    f(2, "diskURI", One(Str)),
    f(3, "cachingMode", One(Str)),
    f(4, "fsType", One(Str)),
    f(5, "readOnly", One(Bool)),
    f(6, "kind", One(Str)),
]);
pub(crate) static AZURE_FILE_VOLUME_SOURCE: Message = msg("AzureFileVolumeSource", &[
    f(1, "secretName", One(Str)),
    f(2, "shareName", One(Str)),
    f(3, "readOnly", One(Bool)),
]);
pub(crate) static CSI_VOLUME_SOURCE: Message = msg("CSIVolumeSource", &[
    f(1, "driver", One(Str)),
    keep(2, "readOnly", One(Bool)),
    keep(3, "fsType", One(Str)),
    f(4, "volumeAttributes", Map(Str)),
    f(5, "nodePublishSecretRef", One(Msg(&LOCAL_OBJECT_REFERENCE))),
]);
pub(crate) static CAPABILITIES: Message = msg("Capabilities", &[
    f(1, "add", Repeated(Str)),
    f(2, "drop", Repeated(Str)),
]);
pub(crate) static CEPH_FS_VOLUME_SOURCE: Message = msg("CephFsVolumeSource", &[
    f(1, "monitors", Repeated(Str)),
    f(2, "path", One(Str)),
    f(3, "user", One(Str)),
    f(4, "secretFile", One(Str)),
    f(5, "secretRef", One(Msg(&LOCAL_OBJECT_REFERENCE))),
    f(6, "readOnly", One(Bool)),
]);
pub(crate) static CINDER_VOLUME_SOURCE: Message = msg("CinderVolumeSource", &[
    f(1, "volumeID", One(Str)),
    f(2, "fsType", One(Str)),
    f(3, "readOnly", One(Bool)),
    f(4, "secretRef", One(Msg(&LOCAL_OBJECT_REFERENCE))),
]);
pub(crate) static CLIENT_IP_CONFIG: Message = msg("ClientIpConfig", &[
    keep(1, "timeoutSeconds", One(Int32)),
]);
pub(crate) static CLUSTER_TRUST_BUNDLE_PROJECTION: Message = msg("ClusterTrustBundleProjection", &[
    keep(1, "name", One(Str)),
    keep(2, "signerName", One(Str)),
    f(3, "labelSelector", One(Msg(&META_LABEL_SELECTOR))),
    keep(5, "optional", One(Bool)),
    f(4, "path", One(Str)),
]);
pub(crate) static CONFIG_MAP: Message = msg("ConfigMap", &[
    f(1, "metadata", One(Msg(&META_OBJECT_META))),
    keep(4, "immutable", One(Bool)),
    f(2, "data", Map(Str)),
    f(3, "binaryData", Map(Bytes)),
]);
pub(crate) static CONFIG_MAP_ENV_SOURCE: Message = msg("ConfigMapEnvSource", &[
    f(1, "", Inline(&LOCAL_OBJECT_REFERENCE)),
    keep(2, "optional", One(Bool)),
]);
pub(crate) static CONFIG_MAP_KEY_SELECTOR: Message = msg("ConfigMapKeySelector", &[
    f(1, "", Inline(&LOCAL_OBJECT_REFERENCE)),
    f(2, "key", One(Str)),
    keep(3, "optional", One(Bool)),
]);
pub(crate) static CONFIG_MAP_PROJECTION: Message = msg("ConfigMapProjection", &[
    f(1, "", Inline(&LOCAL_OBJECT_REFERENCE)),
    f(2, "items", Repeated(Msg(&KEY_TO_PATH))),
    keep(4, "optional", One(Bool)),
]);
pub(crate) static CONFIG_MAP_VOLUME_SOURCE: Message = msg("ConfigMapVolumeSource", &[
    f(1, "", Inline(&LOCAL_OBJECT_REFERENCE)),
    f(2, "items", Repeated(Msg(&KEY_TO_PATH))),
    keep(3, "defaultMode", One(Int32)),
    keep(4, "optional", One(Bool)),
]);
pub(crate) static CONTAINER: Message = msg("Container", &[
    f(1, "name", One(Str)),
    f(2, "image", One(Str)),
    f(3, "command", Repeated(Str)),
    f(4, "args", Repeated(Str)),
    f(5, "workingDir", One(Str)),
    f(6, "ports", Repeated(Msg(&CONTAINER_PORT))),
    f(19, "envFrom", Repeated(Msg(&ENV_FROM_SOURCE))),
    f(7, "env", Repeated(Msg(&ENV_VAR))),
    f(8, "resources", One(Msg(&RESOURCE_REQUIREMENTS))),
    f(23, "resizePolicy", Repeated(Msg(&CONTAINER_RESIZE_POLICY))),
    keep(24, "restartPolicy", One(Str)),
    f(25, "restartPolicyRules", Repeated(Msg(&CONTAINER_RESTART_RULE))),
    f(9, "volumeMounts", Repeated(Msg(&VOLUME_MOUNT))),
    f(21, "volumeDevices", Repeated(Msg(&VOLUME_DEVICE))),
    f(10, "livenessProbe", One(Msg(&PROBE))),
    f(11, "readinessProbe", One(Msg(&PROBE))),
    f(22, "startupProbe", One(Msg(&PROBE))),
    f(12, "lifecycle", One(Msg(&LIFECYCLE))),
    f(13, "terminationMessagePath", One(Str)),
    f(20, "terminationMessagePolicy", One(Str)),
    f(14, "imagePullPolicy", One(Str)),
    f(15, "securityContext", One(Msg(&SECURITY_CONTEXT))),
    f(16, "stdin", One(Bool)),
    f(17, "stdinOnce", One(Bool)),
    f(18, "tty", One(Bool)),
]);
pub(crate) static CONTAINER_EXTENDED_RESOURCE_REQUEST: Message = msg("ContainerExtendedResourceRequest", &[
    f(1, "containerName", One(Str)),
    f(2, "resourceName", One(Str)),
    f(3, "requestName", One(Str)),
]);
pub(crate) static CONTAINER_PORT: Message = msg("ContainerPort", &[
    f(1, "name", One(Str)),
    f(2, "hostPort", One(Int32)),
    keep(3, "containerPort", One(Int32)),
    f(4, "protocol", One(Str)),
    f(5, "hostIP", One(Str)),
]);
pub(crate) static CONTAINER_RESIZE_POLICY: Message = msg("ContainerResizePolicy", &[
    f(1, "resourceName", One(Str)),
    f(2, "restartPolicy", One(Str)),
]);
pub(crate) static CONTAINER_RESTART_RULE: Message = msg("ContainerRestartRule", &[
    f(1, "action", One(Str)),
    f(2, "exitCodes", One(Msg(&CONTAINER_RESTART_RULE_ON_EXIT_CODES))),
]);
pub(crate) static CONTAINER_RESTART_RULE_ON_EXIT_CODES: Message = msg("ContainerRestartRuleOnExitCodes", &[
    f(1, "operator", One(Str)),
    f(2, "values", Repeated(Int32)),
]);
pub(crate) static CONTAINER_STATE: Message = msg("ContainerState", &[
    f(1, "waiting", One(Msg(&CONTAINER_STATE_WAITING))),
    f(2, "running", One(Msg(&CONTAINER_STATE_RUNNING))),
    f(3, "terminated", One(Msg(&CONTAINER_STATE_TERMINATED))),
]);
pub(crate) static CONTAINER_STATE_RUNNING: Message = msg("ContainerStateRunning", &[
    f(1, "startedAt", One(Time)),
]);
pub(crate) static CONTAINER_STATE_TERMINATED: Message = msg("ContainerStateTerminated", &[
    keep(1, "exitCode", One(Int32)),
    f(2, "signal", One(Int32)),
    f(3, "reason", One(Str)),
    f(4, "message", One(Str)),
    f(5, "startedAt", One(Time)),
    f(6, "finishedAt", One(Time)),
    f(7, "containerID", One(Str)),
]);
pub(crate) static CONTAINER_STATE_WAITING: Message = msg("ContainerStateWaiting", &[
    f(1, "reason", One(Str)),
    f(2, "message", One(Str)),
]);
pub(crate) static CONTAINER_STATUS: Message = msg("ContainerStatus", &[
    f(1, "name", One(Str)),
    f(2, "state", One(Msg(&CONTAINER_STATE))),
    f(3, "lastState", One(Msg(&CONTAINER_STATE))),
    keep(4, "ready", One(Bool)),
    keep(5, "restartCount", One(Int32)),
    f(6, "image", One(Str)),
    f(7, "imageID", One(Str)),
    f(8, "containerID", One(Str)),
    keep(9, "started", One(Bool)),
    f(10, "allocatedResources", Map(Quantity)),
    f(11, "resources", One(Msg(&RESOURCE_REQUIREMENTS))),
    f(12, "volumeMounts", Repeated(Msg(&VOLUME_MOUNT_STATUS))),
    f(13, "user", One(Msg(&CONTAINER_USER))),
    f(14, "allocatedResourcesStatus", Repeated(Msg(&RESOURCE_STATUS))),
    keep(15, "stopSignal", One(Str)),
]);
pub(crate) static CONTAINER_USER: Message = msg("ContainerUser", &[
    f(1, "linux", One(Msg(&LINUX_CONTAINER_USER))),
]);
pub(crate) static DOWNWARD_API_PROJECTION: Message = msg("DownwardAPIProjection", &[
    f(1, "items", Repeated(Msg(&DOWNWARD_API_VOLUME_FILE))),
]);
pub(crate) static DOWNWARD_API_VOLUME_FILE: Message = msg("DownwardAPIVolumeFile", &[
    f(1, "path", One(Str)),
    f(2, "fieldRef", One(Msg(&OBJECT_FIELD_SELECTOR))),
    f(3, "resourceFieldRef", One(Msg(&RESOURCE_FIELD_SELECTOR))),
    keep(4, "mode", One(Int32)),
]);
pub(crate) static DOWNWARD_API_VOLUME_SOURCE: Message = msg("DownwardAPIVolumeSource", &[
    f(1, "items", Repeated(Msg(&DOWNWARD_API_VOLUME_FILE))),
    keep(2, "defaultMode", One(Int32)),
]);
pub(crate) static EMPTY_DIR_VOLUME_SOURCE: Message = msg("EmptyDirVolumeSource", &[
    f(1, "medium", One(Str)),
    f(2, "sizeLimit", One(Quantity)),
]);
pub(crate) static ENV_FROM_SOURCE: Message = msg("EnvFromSource", &[
    f(1, "prefix", One(Str)),
    f(2, "configMapRef", One(Msg(&CONFIG_MAP_ENV_SOURCE))),
    f(3, "secretRef", One(Msg(&SECRET_ENV_SOURCE))),
]);
pub(crate) static ENV_VAR: Message = msg("EnvVar", &[
    f(1, "name", One(Str)),
    f(2, "value", One(Str)),
    f(3, "valueFrom", One(Msg(&ENV_VAR_SOURCE))),
]);
pub(crate) static ENV_VAR_SOURCE: Message = msg("EnvVarSource", &[
    f(1, "fieldRef", One(Msg(&OBJECT_FIELD_SELECTOR))),
    f(2, "resourceFieldRef", One(Msg(&RESOURCE_FIELD_SELECTOR))),
    f(3, "configMapKeyRef", One(Msg(&CONFIG_MAP_KEY_SELECTOR))),
    f(4, "secretKeyRef", One(Msg(&SECRET_KEY_SELECTOR))),
    f(5, "fileKeyRef", One(Msg(&FILE_KEY_SELECTOR))),
]);
pub(crate) static EPHEMERAL_CONTAINER: Message = msg("EphemeralContainer", &[
    f(1, "", Inline(&EPHEMERAL_CONTAINER_COMMON)),
    f(2, "targetContainerName", One(Str)),
]);
pub(crate) static EPHEMERAL_CONTAINER_COMMON: Message = msg("EphemeralContainerCommon", &[
    f(1, "name", One(Str)),
    f(2, "image", One(Str)),
    f(3, "command", Repeated(Str)),
    f(4, "args", Repeated(Str)),
    f(5, "workingDir", One(Str)),
    f(6, "ports", Repeated(Msg(&CONTAINER_PORT))),
    f(19, "envFrom", Repeated(Msg(&ENV_FROM_SOURCE))),
    f(7, "env", Repeated(Msg(&ENV_VAR))),
    f(8, "resources", One(Msg(&RESOURCE_REQUIREMENTS))),
    f(23, "resizePolicy", Repeated(Msg(&CONTAINER_RESIZE_POLICY))),
    keep(24, "restartPolicy", One(Str)),
    f(25, "restartPolicyRules", Repeated(Msg(&CONTAINER_RESTART_RULE))),
    f(9, "volumeMounts", Repeated(Msg(&VOLUME_MOUNT))),
    f(21, "volumeDevices", Repeated(Msg(&VOLUME_DEVICE))),
    f(10, "livenessProbe", One(Msg(&PROBE))),
    f(11, "readinessProbe", One(Msg(&PROBE))),
    f(22, "startupProbe", One(Msg(&PROBE))),
    f(12, "lifecycle", One(Msg(&LIFECYCLE))),
    f(13, "terminationMessagePath", One(Str)),
    f(20, "terminationMessagePolicy", One(Str)),
    f(14, "imagePullPolicy", One(Str)),
    f(15, "securityContext", One(Msg(&SECURITY_CONTEXT))),
    f(16, "stdin", One(Bool)),
    f(17, "stdinOnce", One(Bool)),
    f(18, "tty", One(Bool)),
]);
pub(crate) static EPHEMERAL_VOLUME_SOURCE: Message = msg("EphemeralVolumeSource", &[
    f(1, "volumeClaimTemplate", One(Msg(&PERSISTENT_VOLUME_CLAIM_TEMPLATE))),
]);
pub(crate) static EXEC_ACTION: Message = msg("ExecAction", &[
    f(1, "command", Repeated(Str)),
]);
pub(crate) static FC_VOLUME_SOURCE: Message = msg("FcVolumeSource", &[
    f(1, "targetWWNs", Repeated(Str)),
    f(2, "lun", One(Int32)),
    f(3, "fsType", One(Str)),
    f(4, "readOnly", One(Bool)),
    f(5, "wwids", Repeated(Str)),
]);
pub(crate) static FILE_KEY_SELECTOR: Message = msg("FileKeySelector", &[
    f(1, "volumeName", One(Str)),
    f(2, "path", One(Str)),
    f(3, "key", One(Str)),
    keep(4, "optional", One(Bool)),
]);
pub(crate) static FLEX_VOLUME_SOURCE: Message = msg("FlexVolumeSource", &[
    f(1, "driver", One(Str)),
    f(2, "fsType", One(Str)),
    f(3, "secretRef", One(Msg(&LOCAL_OBJECT_REFERENCE))),
    f(4, "readOnly", One(Bool)),
    f(5, "options", Map(Str)),
]);
pub(crate) static FLOCKER_VOLUME_SOURCE: Message = msg("FlockerVolumeSource", &[
    f(1, "datasetName", One(Str)),
    f(2, "datasetUUID", One(Str)),
]);
pub(crate) static GCE_PERSISTENT_DISK_VOLUME_SOURCE: Message = msg("GcePersistentDiskVolumeSource", &[
    f(1, "pdName", One(Str)),
    f(2, "fsType", One(Str)),
    f(3, "partition", One(Int32)),
    f(4, "readOnly", One(Bool)),
]);
pub(crate) static GIT_REPO_VOLUME_SOURCE: Message = msg("GitRepoVolumeSource", &[
    f(1, "repository", One(Str)),
    f(2, "revision", One(Str)),
    f(3, "directory", One(Str)),
]);
pub(crate) static GLUSTERFS_VOLUME_SOURCE: Message = msg("GlusterfsVolumeSource", &[
    f(1, "endpoints", One(Str)),
    f(2, "path", One(Str)),
    f(3, "readOnly", One(Bool)),
]);
pub(crate) static GRPC_ACTION: Message = msg("GrpcAction", &[
    keep(1, "port", One(Int32)),
    keep(2, "service", One(Str)),
]);
pub(crate) static HOST_ALIAS: Message = msg("HostAlias", &[
    f(1, "ip", One(Str)),
    f(2, "hostnames", Repeated(Str)),
]);
pub(crate) static HOST_IP: Message = msg("HostIp", &[
    f(1, "ip", One(Str)),
]);
pub(crate) static HOST_PATH_VOLUME_SOURCE: Message = msg("HostPathVolumeSource", &[
    f(1, "path", One(Str)),
    keep(2, "type", One(Str)),
]);
pub(crate) static HTTP_GET_ACTION: Message = msg("HttpGetAction", &[
    f(1, "path", One(Str)),
    f(2, "port", One(IntOrString)),
    f(3, "host", One(Str)),
    f(4, "scheme", One(Str)),
    f(5, "httpHeaders", Repeated(Msg(&HTTP_HEADER))),
]);
pub(crate) static HTTP_HEADER: Message = msg("HttpHeader", &[
    f(1, "name", One(Str)),
    f(2, "value", One(Str)),
]);
pub(crate) static IMAGE_VOLUME_SOURCE: Message = msg("ImageVolumeSource", &[
    f(1, "reference", One(Str)),
    f(2, "pullPolicy", One(Str)),
]);
pub(crate) static ISCSI_VOLUME_SOURCE: Message = msg("IscsiVolumeSource", &[
    f(1, "targetPortal", One(Str)),
    f(2, "iqn", One(Str)),
    f(3, "lun", One(Int32)),
    f(4, "iscsiInterface", One(Str)),
    f(5, "fsType", One(Str)),
    f(6, "readOnly", One(Bool)),
    f(7, "portals", Repeated(Str)),
    f(8, "chapAuthDiscovery", One(Bool)),
    f(11, "chapAuthSession", One(Bool)),
    f(10, "secretRef", One(Msg(&LOCAL_OBJECT_REFERENCE))),
    f(12, "initiatorName", One(Str)),
]);
pub(crate) static KEY_TO_PATH: Message = msg("KeyToPath", &[
    f(1, "key", One(Str)),
    f(2, "path", One(Str)),
    keep(3, "mode", One(Int32)),
]);
pub(crate) static LIFECYCLE: Message = msg("Lifecycle", &[
    f(1, "postStart", One(Msg(&LIFECYCLE_HANDLER))),
    f(2, "preStop", One(Msg(&LIFECYCLE_HANDLER))),
    keep(3, "stopSignal", One(Str)),
]);
pub(crate) static LIFECYCLE_HANDLER: Message = msg("LifecycleHandler", &[
    f(1, "exec", One(Msg(&EXEC_ACTION))),
    f(2, "httpGet", One(Msg(&HTTP_GET_ACTION))),
    f(3, "tcpSocket", One(Msg(&TCP_SOCKET_ACTION))),
    f(4, "sleep", One(Msg(&SLEEP_ACTION))),
]);
pub(crate) static LINUX_CONTAINER_USER: Message = msg("LinuxContainerUser", &[
    keep(1, "uid", One(Int64)),
    keep(2, "gid", One(Int64)),
    f(3, "supplementalGroups", Repeated(Int64)),
]);
pub(crate) static LOAD_BALANCER_INGRESS: Message = msg("LoadBalancerIngress", &[
    f(1, "ip", One(Str)),
    f(2, "hostname", One(Str)),
    keep(3, "ipMode", One(Str)),
    f(4, "ports", Repeated(Msg(&PORT_STATUS))),
]);
pub(crate) static LOAD_BALANCER_STATUS: Message = msg("LoadBalancerStatus", &[
    f(1, "ingress", Repeated(Msg(&LOAD_BALANCER_INGRESS))),
]);
pub(crate) static LOCAL_OBJECT_REFERENCE: Message = msg("LocalObjectReference", &[
    f(1, "name", One(Str)),
]);
pub(crate) static MODIFY_VOLUME_STATUS: Message = msg("ModifyVolumeStatus", &[
    f(1, "targetVolumeAttributesClassName", One(Str)),
    f(2, "status", One(Str)),
]);
pub(crate) static NAMESPACE: Message = msg("Namespace", &[
    f(1, "metadata", One(Msg(&META_OBJECT_META))),
    f(2, "spec", One(Msg(&NAMESPACE_SPEC))),
    f(3, "status", One(Msg(&NAMESPACE_STATUS))),
]);
pub(crate) static NAMESPACE_CONDITION: Message = msg("NamespaceCondition", &[
    f(1, "type", One(Str)),
    f(2, "status", One(Str)),
    f(4, "lastTransitionTime", One(Time)),
    f(5, "reason", One(Str)),
    f(6, "message", One(Str)),
]);
pub(crate) static NAMESPACE_SPEC: Message = msg("NamespaceSpec", &[
    f(1, "finalizers", Repeated(Str)),
]);
pub(crate) static NAMESPACE_STATUS: Message = msg("NamespaceStatus", &[
    f(1, "phase", One(Str)),
    f(2, "conditions", Repeated(Msg(&NAMESPACE_CONDITION))),
]);
pub(crate) static NFS_VOLUME_SOURCE: Message = msg("NfsVolumeSource", &[
    f(1, "server", One(Str)),
    f(2, "path", One(Str)),
    f(3, "readOnly", One(Bool)),
]);
pub(crate) static NODE_AFFINITY: Message = msg("NodeAffinity", &[
    f(1, "requiredDuringSchedulingIgnoredDuringExecution", One(Msg(&NODE_SELECTOR))),
    f(2, "preferredDuringSchedulingIgnoredDuringExecution", Repeated(Msg(&PREFERRED_SCHEDULING_TERM))),
]);
pub(crate) static NODE_SELECTOR: Message = msg("NodeSelector", &[
    f(1, "nodeSelectorTerms", Repeated(Msg(&NODE_SELECTOR_TERM))),
]);
pub(crate) static NODE_SELECTOR_REQUIREMENT: Message = msg("NodeSelectorRequirement", &[
    f(1, "key", One(Str)),
    f(2, "operator", One(Str)),
    f(3, "values", Repeated(Str)),
]);
pub(crate) static NODE_SELECTOR_TERM: Message = msg("NodeSelectorTerm", &[
    f(1, "matchExpressions", Repeated(Msg(&NODE_SELECTOR_REQUIREMENT))),
    f(2, "matchFields", Repeated(Msg(&NODE_SELECTOR_REQUIREMENT))),
]);
pub(crate) static OBJECT_FIELD_SELECTOR: Message = msg("ObjectFieldSelector", &[
    f(1, "apiVersion", One(Str)),
    f(2, "fieldPath", One(Str)),
]);
pub(crate) static OBJECT_REFERENCE: Message = msg("ObjectReference", &[
    f(1, "kind", One(Str)),
    f(2, "namespace", One(Str)),
    f(3, "name", One(Str)),
    f(4, "uid", One(Str)),
    f(5, "apiVersion", One(Str)),
    f(6, "resourceVersion", One(Str)),
    f(7, "fieldPath", One(Str)),
]);
pub(crate) static PERSISTENT_VOLUME_CLAIM: Message = msg("PersistentVolumeClaim", &[
    f(1, "metadata", One(Msg(&META_OBJECT_META))),
    f(2, "spec", One(Msg(&PERSISTENT_VOLUME_CLAIM_SPEC))),
    f(3, "status", One(Msg(&PERSISTENT_VOLUME_CLAIM_STATUS))),
]);
pub(crate) static PERSISTENT_VOLUME_CLAIM_CONDITION: Message = msg("PersistentVolumeClaimCondition", &[
    f(1, "type", One(Str)),
    f(2, "status", One(Str)),
    f(3, "lastProbeTime", One(Time)),
    f(4, "lastTransitionTime", One(Time)),
    f(5, "reason", One(Str)),
    f(6, "message", One(Str)),
]);
pub(crate) static PERSISTENT_VOLUME_CLAIM_SPEC: Message = msg("PersistentVolumeClaimSpec", &[
    f(1, "accessModes", Repeated(Str)),
    f(4, "selector", One(Msg(&META_LABEL_SELECTOR))),
    f(2, "resources", One(Msg(&VOLUME_RESOURCE_REQUIREMENTS))),
    f(3, "volumeName", One(Str)),
    keep(5, "storageClassName", One(Str)),
    keep(6, "volumeMode", One(Str)),
    f(7, "dataSource", One(Msg(&TYPED_LOCAL_OBJECT_REFERENCE))),
    f(8, "dataSourceRef", One(Msg(&TYPED_OBJECT_REFERENCE))),
    keep(9, "volumeAttributesClassName", One(Str)),
]);
pub(crate) static PERSISTENT_VOLUME_CLAIM_STATUS: Message = msg("PersistentVolumeClaimStatus", &[
    f(1, "phase", One(Str)),
    f(2, "accessModes", Repeated(Str)),
    f(3, "capacity", Map(Quantity)),
    f(4, "conditions", Repeated(Msg(&PERSISTENT_VOLUME_CLAIM_CONDITION))),
    f(5, "allocatedResources", Map(Quantity)),
    f(7, "allocatedResourceStatuses", Map(Str)),
    keep(8, "currentVolumeAttributesClassName", One(Str)),
    f(9, "modifyVolumeStatus", One(Msg(&MODIFY_VOLUME_STATUS))),
]);
pub(crate) static PERSISTENT_VOLUME_CLAIM_TEMPLATE: Message = msg("PersistentVolumeClaimTemplate", &[
    f(1, "metadata", One(Msg(&META_OBJECT_META))),
    f(2, "spec", One(Msg(&PERSISTENT_VOLUME_CLAIM_SPEC))),
]);
pub(crate) static PERSISTENT_VOLUME_CLAIM_VOLUME_SOURCE: Message = msg("PersistentVolumeClaimVolumeSource", &[
    f(1, "claimName", One(Str)),
    f(2, "readOnly", One(Bool)),
]);
pub(crate) static PHOTON_PERSISTENT_DISK_VOLUME_SOURCE: Message = msg("PhotonPersistentDiskVolumeSource", &[
    f(1, "pdID", One(Str)),
    f(2, "fsType", One(Str)),
]);
pub(crate) static POD: Message = msg("Pod", &[
    f(1, "metadata", One(Msg(&META_OBJECT_META))),
    f(2, "spec", One(Msg(&POD_SPEC))),
    f(3, "status", One(Msg(&POD_STATUS))),
]);
pub(crate) static POD_AFFINITY: Message = msg("PodAffinity", &[
    f(1, "requiredDuringSchedulingIgnoredDuringExecution", Repeated(Msg(&POD_AFFINITY_TERM))),
    f(2, "preferredDuringSchedulingIgnoredDuringExecution", Repeated(Msg(&WEIGHTED_POD_AFFINITY_TERM))),
]);
pub(crate) static POD_AFFINITY_TERM: Message = msg("PodAffinityTerm", &[
    f(1, "labelSelector", One(Msg(&META_LABEL_SELECTOR))),
    f(2, "namespaces", Repeated(Str)),
    f(3, "topologyKey", One(Str)),
    f(4, "namespaceSelector", One(Msg(&META_LABEL_SELECTOR))),
    f(5, "matchLabelKeys", Repeated(Str)),
    f(6, "mismatchLabelKeys", Repeated(Str)),
]);
pub(crate) static POD_ANTI_AFFINITY: Message = msg("PodAntiAffinity", &[
    f(1, "requiredDuringSchedulingIgnoredDuringExecution", Repeated(Msg(&POD_AFFINITY_TERM))),
    f(2, "preferredDuringSchedulingIgnoredDuringExecution", Repeated(Msg(&WEIGHTED_POD_AFFINITY_TERM))),
]);
pub(crate) static POD_CERTIFICATE_PROJECTION: Message = msg("PodCertificateProjection", &[
    f(1, "signerName", One(Str)),
    f(2, "keyType", One(Str)),
    keep(3, "maxExpirationSeconds", One(Int32)),
    f(4, "credentialBundlePath", One(Str)),
    f(5, "keyPath", One(Str)),
    f(6, "certificateChainPath", One(Str)),
    f(7, "userAnnotations", Map(Str)),
]);
pub(crate) static POD_CONDITION: Message = msg("PodCondition", &[
    f(1, "type", One(Str)),
    f(7, "observedGeneration", One(Int64)),
    f(2, "status", One(Str)),
    f(3, "lastProbeTime", One(Time)),
    f(4, "lastTransitionTime", One(Time)),
    f(5, "reason", One(Str)),
    f(6, "message", One(Str)),
]);
pub(crate) static POD_DNS_CONFIG: Message = msg("PodDnsConfig", &[
    f(1, "nameservers", Repeated(Str)),
    f(2, "searches", Repeated(Str)),
    f(3, "options", Repeated(Msg(&POD_DNS_CONFIG_OPTION))),
]);
pub(crate) static POD_DNS_CONFIG_OPTION: Message = msg("PodDnsConfigOption", &[
    f(1, "name", One(Str)),
    keep(2, "value", One(Str)),
]);
pub(crate) static POD_EXTENDED_RESOURCE_CLAIM_STATUS: Message = msg("PodExtendedResourceClaimStatus", &[
    f(1, "requestMappings", Repeated(Msg(&CONTAINER_EXTENDED_RESOURCE_REQUEST))),
    f(2, "resourceClaimName", One(Str)),
]);
pub(crate) static POD_IP: Message = msg("PodIp", &[
    f(1, "ip", One(Str)),
]);
pub(crate) static POD_OS: Message = msg("PodOs", &[
    f(1, "name", One(Str)),
]);
pub(crate) static POD_READINESS_GATE: Message = msg("PodReadinessGate", &[
    f(1, "conditionType", One(Str)),
]);
pub(crate) static POD_RESOURCE_CLAIM: Message = msg("PodResourceClaim", &[
    f(1, "name", One(Str)),
    keep(3, "resourceClaimName", One(Str)),
    keep(4, "resourceClaimTemplateName", One(Str)),
]);
pub(crate) static POD_RESOURCE_CLAIM_STATUS: Message = msg("PodResourceClaimStatus", &[
    f(1, "name", One(Str)),
    f(2, "resourceClaimName", One(Str)),
]);
pub(crate) static POD_SCHEDULING_GATE: Message = msg("PodSchedulingGate", &[
    f(1, "name", One(Str)),
]);
pub(crate) static POD_SECURITY_CONTEXT: Message = msg("PodSecurityContext", &[
    f(1, "seLinuxOptions", One(Msg(&SE_LINUX_OPTIONS))),
    f(8, "windowsOptions", One(Msg(&WINDOWS_SECURITY_CONTEXT_OPTIONS))),
    keep(2, "runAsUser", One(Int64)),
    keep(6, "runAsGroup", One(Int64)),
    keep(3, "runAsNonRoot", One(Bool)),
    f(4, "supplementalGroups", Repeated(Int64)),
    keep(12, "supplementalGroupsPolicy", One(Str)),
    keep(5, "fsGroup", One(Int64)),
    f(7, "sysctls", Repeated(Msg(&SYSCTL))),
    keep(9, "fsGroupChangePolicy", One(Str)),
    f(10, "seccompProfile", One(Msg(&SECCOMP_PROFILE))),
    f(11, "appArmorProfile", One(Msg(&APP_ARMOR_PROFILE))),
    keep(13, "seLinuxChangePolicy", One(Str)),
]);
pub(crate) static POD_SPEC: Message = msg("PodSpec", &[
    f(1, "volumes", Repeated(Msg(&VOLUME))),
    f(20, "initContainers", Repeated(Msg(&CONTAINER))),
    f(2, "containers", Repeated(Msg(&CONTAINER))),
    f(34, "ephemeralContainers", Repeated(Msg(&EPHEMERAL_CONTAINER))),
    f(3, "restartPolicy", One(Str)),
    keep(4, "terminationGracePeriodSeconds", One(Int64)),
    keep(5, "activeDeadlineSeconds", One(Int64)),
    f(6, "dnsPolicy", One(Str)),
    f(7, "nodeSelector", Map(Str)),
    f(8, "serviceAccountName", One(Str)),
    f(9, "serviceAccount", One(Str)),
    keep(21, "automountServiceAccountToken", One(Bool)),
    f(10, "nodeName", One(Str)),
    f(11, "hostNetwork", One(Bool)),
    f(12, "hostPID", One(Bool)),
    f(13, "hostIPC", One(Bool)),
    keep(27, "shareProcessNamespace", One(Bool)),
    f(14, "securityContext", One(Msg(&POD_SECURITY_CONTEXT))),
    f(15, "imagePullSecrets", Repeated(Msg(&LOCAL_OBJECT_REFERENCE))),
    f(16, "hostname", One(Str)),
    f(17, "subdomain", One(Str)),
    f(18, "affinity", One(Msg(&AFFINITY))),
    f(19, "schedulerName", One(Str)),
    f(22, "tolerations", Repeated(Msg(&TOLERATION))),
    f(23, "hostAliases", Repeated(Msg(&HOST_ALIAS))),
    f(24, "priorityClassName", One(Str)),
    keep(25, "priority", One(Int32)),
    f(26, "dnsConfig", One(Msg(&POD_DNS_CONFIG))),
    f(28, "readinessGates", Repeated(Msg(&POD_READINESS_GATE))),
    keep(29, "runtimeClassName", One(Str)),
    keep(30, "enableServiceLinks", One(Bool)),
    keep(31, "preemptionPolicy", One(Str)),
    f(32, "overhead", Map(Quantity)),
    f(33, "topologySpreadConstraints", Repeated(Msg(&TOPOLOGY_SPREAD_CONSTRAINT))),
    keep(35, "setHostnameAsFQDN", One(Bool)),
    f(36, "os", One(Msg(&POD_OS))),
    keep(37, "hostUsers", One(Bool)),
    f(38, "schedulingGates", Repeated(Msg(&POD_SCHEDULING_GATE))),
    f(39, "resourceClaims", Repeated(Msg(&POD_RESOURCE_CLAIM))),
    f(40, "resources", One(Msg(&RESOURCE_REQUIREMENTS))),
    keep(41, "hostnameOverride", One(Str)),
    f(42, "workloadRef", One(Msg(&WORKLOAD_REFERENCE))),
]);
pub(crate) static POD_STATUS: Message = msg("PodStatus", &[
    f(17, "observedGeneration", One(Int64)),
    f(1, "phase", One(Str)),
    f(2, "conditions", Repeated(Msg(&POD_CONDITION))),
    f(3, "message", One(Str)),
    f(4, "reason", One(Str)),
    f(11, "nominatedNodeName", One(Str)),
    f(5, "hostIP", One(Str)),
    f(16, "hostIPs", Repeated(Msg(&HOST_IP))),
    f(6, "podIP", One(Str)),
    f(12, "podIPs", Repeated(Msg(&POD_IP))),
    f(7, "startTime", One(Time)),
    f(10, "initContainerStatuses", Repeated(Msg(&CONTAINER_STATUS))),
    f(8, "containerStatuses", Repeated(Msg(&CONTAINER_STATUS))),
    f(9, "qosClass", One(Str)),
    f(13, "ephemeralContainerStatuses", Repeated(Msg(&CONTAINER_STATUS))),
    f(14, "resize", One(Str)),
    f(15, "resourceClaimStatuses", Repeated(Msg(&POD_RESOURCE_CLAIM_STATUS))),
    f(18, "extendedResourceClaimStatus", One(Msg(&POD_EXTENDED_RESOURCE_CLAIM_STATUS))),
    f(19, "allocatedResources", Map(Quantity)),
    f(20, "resources", One(Msg(&RESOURCE_REQUIREMENTS))),
]);
pub(crate) static PORT_STATUS: Message = msg("PortStatus", &[
    keep(1, "port", One(Int32)),
    f(2, "protocol", One(Str)),
    keep(3, "error", One(Str)),
]);
pub(crate) static PORTWORX_VOLUME_SOURCE: Message = msg("PortworxVolumeSource", &[
    f(1, "volumeID", One(Str)),
    f(2, "fsType", One(Str)),
    f(3, "readOnly", One(Bool)),
]);
pub(crate) static PREFERRED_SCHEDULING_TERM: Message = msg("PreferredSchedulingTerm", &[
    keep(1, "weight", One(Int32)),
    f(2, "preference", One(Msg(&NODE_SELECTOR_TERM))),
]);
pub(crate) static PROBE: Message = msg("Probe", &[
    f(1, "", Inline(&PROBE_HANDLER)),
    f(2, "initialDelaySeconds", One(Int32)),
    f(3, "timeoutSeconds", One(Int32)),
    f(4, "periodSeconds", One(Int32)),
    f(5, "successThreshold", One(Int32)),
    f(6, "failureThreshold", One(Int32)),
    keep(7, "terminationGracePeriodSeconds", One(Int64)),
]);
pub(crate) static PROBE_HANDLER: Message = msg("ProbeHandler", &[
    f(1, "exec", One(Msg(&EXEC_ACTION))),
    f(2, "httpGet", One(Msg(&HTTP_GET_ACTION))),
    f(3, "tcpSocket", One(Msg(&TCP_SOCKET_ACTION))),
    f(4, "grpc", One(Msg(&GRPC_ACTION))),
]);
pub(crate) static PROJECTED_VOLUME_SOURCE: Message = msg("ProjectedVolumeSource", &[
    f(1, "sources", Repeated(Msg(&VOLUME_PROJECTION))),
    keep(2, "defaultMode", One(Int32)),
]);
pub(crate) static QUOBYTE_VOLUME_SOURCE: Message = msg("QuobyteVolumeSource", &[
    f(1, "registry", One(Str)),
    f(2, "volume", One(Str)),
    f(3, "readOnly", One(Bool)),
    f(4, "user", One(Str)),
    f(5, "group", One(Str)),
    f(6, "tenant", One(Str)),
]);
pub(crate) static RBD_VOLUME_SOURCE: Message = msg("RbdVolumeSource", &[
    f(1, "monitors", Repeated(Str)),
    f(2, "image", One(Str)),
    f(3, "fsType", One(Str)),
    f(4, "pool", One(Str)),
    f(5, "user", One(Str)),
    f(6, "keyring", One(Str)),
    f(7, "secretRef", One(Msg(&LOCAL_OBJECT_REFERENCE))),
    f(8, "readOnly", One(Bool)),
]);
pub(crate) static RESOURCE_CLAIM: Message = msg("ResourceClaim", &[
    f(1, "name", One(Str)),
    f(2, "request", One(Str)),
]);
pub(crate) static RESOURCE_FIELD_SELECTOR: Message = msg("ResourceFieldSelector", &[
    f(1, "containerName", One(Str)),
    f(2, "resource", One(Str)),
    f(3, "divisor", One(Quantity)),
]);
pub(crate) static RESOURCE_HEALTH: Message = msg("ResourceHealth", &[
    f(1, "resourceID", One(Str)),
    f(2, "health", One(Str)),
]);
pub(crate) static RESOURCE_REQUIREMENTS: Message = msg("ResourceRequirements", &[
    f(1, "limits", Map(Quantity)),
    f(2, "requests", Map(Quantity)),
    f(3, "claims", Repeated(Msg(&RESOURCE_CLAIM))),
]);
pub(crate) static RESOURCE_STATUS: Message = msg("ResourceStatus", &[
    f(1, "name", One(Str)),
    f(2, "resources", Repeated(Msg(&RESOURCE_HEALTH))),
]);
pub(crate) static SCALE_IO_VOLUME_SOURCE: Message = msg("ScaleIoVolumeSource", &[
    f(1, "gateway", One(Str)),
    f(2, "system", One(Str)),
    f(3, "secretRef", One(Msg(&LOCAL_OBJECT_REFERENCE))),
    f(4, "sslEnabled", One(Bool)),
    f(5, "protectionDomain", One(Str)),
    f(6, "storagePool", One(Str)),
    f(7, "storageMode", One(Str)),
    f(8, "volumeName", One(Str)),
    f(9, "fsType", One(Str)),
    f(10, "readOnly", One(Bool)),
]);
pub(crate) static SE_LINUX_OPTIONS: Message = msg("SeLinuxOptions", &[
    f(1, "user", One(Str)),
    f(2, "role", One(Str)),
    f(3, "type", One(Str)),
    f(4, "level", One(Str)),
]);
pub(crate) static SECCOMP_PROFILE: Message = msg("SeccompProfile", &[
    f(1, "type", One(Str)),
    keep(2, "localhostProfile", One(Str)),
]);
pub(crate) static SECRET: Message = msg("Secret", &[
    f(1, "metadata", One(Msg(&META_OBJECT_META))),
    keep(5, "immutable", One(Bool)),
    f(2, "data", Map(Bytes)),
    f(4, "stringData", Map(Str)),
    f(3, "type", One(Str)),
]);
pub(crate) static SECRET_ENV_SOURCE: Message = msg("SecretEnvSource", &[
    f(1, "", Inline(&LOCAL_OBJECT_REFERENCE)),
    keep(2, "optional", One(Bool)),
]);
pub(crate) static SECRET_KEY_SELECTOR: Message = msg("SecretKeySelector", &[
    f(1, "", Inline(&LOCAL_OBJECT_REFERENCE)),
    f(2, "key", One(Str)),
    keep(3, "optional", One(Bool)),
]);
pub(crate) static SECRET_PROJECTION: Message = msg("SecretProjection", &[
    f(1, "", Inline(&LOCAL_OBJECT_REFERENCE)),
    f(2, "items", Repeated(Msg(&KEY_TO_PATH))),
    keep(4, "optional", One(Bool)),
]);
pub(crate) static SECRET_VOLUME_SOURCE: Message = msg("SecretVolumeSource", &[
    f(1, "secretName", One(Str)),
    f(2, "items", Repeated(Msg(&KEY_TO_PATH))),
    keep(3, "defaultMode", One(Int32)),
    keep(4, "optional", One(Bool)),
]);
pub(crate) static SECURITY_CONTEXT: Message = msg("SecurityContext", &[
    f(1, "capabilities", One(Msg(&CAPABILITIES))),
    keep(2, "privileged", One(Bool)),
    f(3, "seLinuxOptions", One(Msg(&SE_LINUX_OPTIONS))),
    f(10, "windowsOptions", One(Msg(&WINDOWS_SECURITY_CONTEXT_OPTIONS))),
    keep(4, "runAsUser", One(Int64)),
    keep(8, "runAsGroup", One(Int64)),
    keep(5, "runAsNonRoot", One(Bool)),
    keep(6, "readOnlyRootFilesystem", One(Bool)),
    keep(7, "allowPrivilegeEscalation", One(Bool)),
    keep(9, "procMount", One(Str)),
    f(11, "seccompProfile", One(Msg(&SECCOMP_PROFILE))),
    f(12, "appArmorProfile", One(Msg(&APP_ARMOR_PROFILE))),
]);
pub(crate) static SERVICE: Message = msg("Service", &[
    f(1, "metadata", One(Msg(&META_OBJECT_META))),
    f(2, "spec", One(Msg(&SERVICE_SPEC))),
    f(3, "status", One(Msg(&SERVICE_STATUS))),
]);
pub(crate) static SERVICE_ACCOUNT: Message = msg("ServiceAccount", &[
    f(1, "metadata", One(Msg(&META_OBJECT_META))),
    f(2, "secrets", Repeated(Msg(&OBJECT_REFERENCE))),
    f(3, "imagePullSecrets", Repeated(Msg(&LOCAL_OBJECT_REFERENCE))),
    keep(4, "automountServiceAccountToken", One(Bool)),
]);
pub(crate) static SERVICE_ACCOUNT_TOKEN_PROJECTION: Message = msg("ServiceAccountTokenProjection", &[
    f(1, "audience", One(Str)),
    keep(2, "expirationSeconds", One(Int64)),
    f(3, "path", One(Str)),
]);
pub(crate) static SERVICE_PORT: Message = msg("ServicePort", &[
    f(1, "name", One(Str)),
    f(2, "protocol", One(Str)),
    keep(6, "appProtocol", One(Str)),
    keep(3, "port", One(Int32)),
    f(4, "targetPort", One(IntOrString)),
    f(5, "nodePort", One(Int32)),
]);
pub(crate) static SERVICE_SPEC: Message = msg("ServiceSpec", &[
    f(1, "ports", Repeated(Msg(&SERVICE_PORT))),
    f(2, "selector", Map(Str)),
    f(3, "clusterIP", One(Str)),
    f(18, "clusterIPs", Repeated(Str)),
    f(4, "type", One(Str)),
    f(5, "externalIPs", Repeated(Str)),
    f(7, "sessionAffinity", One(Str)),
    f(8, "loadBalancerIP", One(Str)),
    f(9, "loadBalancerSourceRanges", Repeated(Str)),
    f(10, "externalName", One(Str)),
    f(11, "externalTrafficPolicy", One(Str)),
    f(12, "healthCheckNodePort", One(Int32)),
    f(13, "publishNotReadyAddresses", One(Bool)),
    f(14, "sessionAffinityConfig", One(Msg(&SESSION_AFFINITY_CONFIG))),
    f(19, "ipFamilies", Repeated(Str)),
    keep(17, "ipFamilyPolicy", One(Str)),
    keep(20, "allocateLoadBalancerNodePorts", One(Bool)),
    keep(21, "loadBalancerClass", One(Str)),
    keep(22, "internalTrafficPolicy", One(Str)),
    keep(23, "trafficDistribution", One(Str)),
]);
pub(crate) static SERVICE_STATUS: Message = msg("ServiceStatus", &[
    f(1, "loadBalancer", One(Msg(&LOAD_BALANCER_STATUS))),
    f(2, "conditions", Repeated(Msg(&META_CONDITION))),
]);
pub(crate) static SESSION_AFFINITY_CONFIG: Message = msg("SessionAffinityConfig", &[
    f(1, "clientIP", One(Msg(&CLIENT_IP_CONFIG))),
]);
pub(crate) static SLEEP_ACTION: Message = msg("SleepAction", &[
    keep(1, "seconds", One(Int64)),
]);
pub(crate) static STORAGE_OS_VOLUME_SOURCE: Message = msg("StorageOsVolumeSource", &[
    f(1, "volumeName", One(Str)),
    f(2, "volumeNamespace", One(Str)),
    f(3, "fsType", One(Str)),
    f(4, "readOnly", One(Bool)),
    f(5, "secretRef", One(Msg(&LOCAL_OBJECT_REFERENCE))),
]);
pub(crate) static SYSCTL: Message = msg("Sysctl", &[
    f(1, "name", One(Str)),
    f(2, "value", One(Str)),
]);
pub(crate) static TCP_SOCKET_ACTION: Message = msg("TcpSocketAction", &[
    f(1, "port", One(IntOrString)),
    f(2, "host", One(Str)),
]);
pub(crate) static TOLERATION: Message = msg("Toleration", &[
    f(1, "key", One(Str)),
    f(2, "operator", One(Str)),
    f(3, "value", One(Str)),
    f(4, "effect", One(Str)),
    keep(5, "tolerationSeconds", One(Int64)),
]);
pub(crate) static TOPOLOGY_SPREAD_CONSTRAINT: Message = msg("TopologySpreadConstraint", &[
    keep(1, "maxSkew", One(Int32)),
    f(2, "topologyKey", One(Str)),
    f(3, "whenUnsatisfiable", One(Str)),
    f(4, "labelSelector", One(Msg(&META_LABEL_SELECTOR))),
    keep(5, "minDomains", One(Int32)),
    keep(6, "nodeAffinityPolicy", One(Str)),
    keep(7, "nodeTaintsPolicy", One(Str)),
    f(8, "matchLabelKeys", Repeated(Str)),
]);
pub(crate) static TYPED_LOCAL_OBJECT_REFERENCE: Message = msg("TypedLocalObjectReference", &[
    keep(1, "apiGroup", One(Str)),
    f(2, "kind", One(Str)),
    f(3, "name", One(Str)),
]);
pub(crate) static TYPED_OBJECT_REFERENCE: Message = msg("TypedObjectReference", &[
    keep(1, "apiGroup", One(Str)),
    f(2, "kind", One(Str)),
    f(3, "name", One(Str)),
    keep(4, "namespace", One(Str)),
]);
pub(crate) static VOLUME: Message = msg("Volume", &[
    f(1, "name", One(Str)),
    f(2, "", Inline(&VOLUME_SOURCE)),
]);
pub(crate) static VOLUME_DEVICE: Message = msg("VolumeDevice", &[
    f(1, "name", One(Str)),
    f(2, "devicePath", One(Str)),
]);
pub(crate) static VOLUME_MOUNT: Message = msg("VolumeMount", &[
    f(1, "name", One(Str)),
    f(2, "readOnly", One(Bool)),
    keep(7, "recursiveReadOnly", One(Str)),
    f(3, "mountPath", One(Str)),
    f(4, "subPath", One(Str)),
    keep(5, "mountPropagation", One(Str)),
    f(6, "subPathExpr", One(Str)),
]);
pub(crate) static VOLUME_MOUNT_STATUS: Message = msg("VolumeMountStatus", &[
    f(1, "name", One(Str)),
    f(2, "mountPath", One(Str)),
    f(3, "readOnly", One(Bool)),
    f(4, "recursiveReadOnly", One(Str)),
]);
pub(crate) static VOLUME_PROJECTION: Message = msg("VolumeProjection", &[
    f(1, "secret", One(Msg(&SECRET_PROJECTION))),
    f(2, "downwardAPI", One(Msg(&DOWNWARD_API_PROJECTION))),
    f(3, "configMap", One(Msg(&CONFIG_MAP_PROJECTION))),
    f(4, "serviceAccountToken", One(Msg(&SERVICE_ACCOUNT_TOKEN_PROJECTION))),
    f(5, "clusterTrustBundle", One(Msg(&CLUSTER_TRUST_BUNDLE_PROJECTION))),
    f(6, "podCertificate", One(Msg(&POD_CERTIFICATE_PROJECTION))),
]);
pub(crate) static VOLUME_RESOURCE_REQUIREMENTS: Message = msg("VolumeResourceRequirements", &[
    f(1, "limits", Map(Quantity)),
    f(2, "requests", Map(Quantity)),
]);
pub(crate) static VOLUME_SOURCE: Message = msg("VolumeSource", &[
    f(1, "hostPath", One(Msg(&HOST_PATH_VOLUME_SOURCE))),
    f(2, "emptyDir", One(Msg(&EMPTY_DIR_VOLUME_SOURCE))),
    f(3, "gcePersistentDisk", One(Msg(&GCE_PERSISTENT_DISK_VOLUME_SOURCE))),
    f(4, "awsElasticBlockStore", One(Msg(&AWS_ELASTIC_BLOCK_STORE_VOLUME_SOURCE))),
    f(5, "gitRepo", One(Msg(&GIT_REPO_VOLUME_SOURCE))),
    f(6, "secret", One(Msg(&SECRET_VOLUME_SOURCE))),
    f(7, "nfs", One(Msg(&NFS_VOLUME_SOURCE))),
    f(8, "iscsi", One(Msg(&ISCSI_VOLUME_SOURCE))),
    f(9, "glusterfs", One(Msg(&GLUSTERFS_VOLUME_SOURCE))),
    f(10, "persistentVolumeClaim", One(Msg(&PERSISTENT_VOLUME_CLAIM_VOLUME_SOURCE))),
    f(11, "rbd", One(Msg(&RBD_VOLUME_SOURCE))),
    f(12, "flexVolume", One(Msg(&FLEX_VOLUME_SOURCE))),
    f(13, "cinder", One(Msg(&CINDER_VOLUME_SOURCE))),
    f(14, "cephfs", One(Msg(&CEPH_FS_VOLUME_SOURCE))),
    f(15, "flocker", One(Msg(&FLOCKER_VOLUME_SOURCE))),
    f(16, "downwardAPI", One(Msg(&DOWNWARD_API_VOLUME_SOURCE))),
    f(17, "fc", One(Msg(&FC_VOLUME_SOURCE))),
    f(18, "azureFile", One(Msg(&AZURE_FILE_VOLUME_SOURCE))),
    f(19, "configMap", One(Msg(&CONFIG_MAP_VOLUME_SOURCE))),
    f(20, "vsphereVolume", One(Msg(&VSPHERE_VIRTUAL_DISK_VOLUME_SOURCE))),
    f(21, "quobyte", One(Msg(&QUOBYTE_VOLUME_SOURCE))),
    f(22, "azureDisk", One(Msg(&AZURE_DISK_VOLUME_SOURCE))),
    f(23, "photonPersistentDisk", One(Msg(&PHOTON_PERSISTENT_DISK_VOLUME_SOURCE))),
    f(26, "projected", One(Msg(&PROJECTED_VOLUME_SOURCE))),
    f(24, "portworxVolume", One(Msg(&PORTWORX_VOLUME_SOURCE))),
    f(25, "scaleIO", One(Msg(&SCALE_IO_VOLUME_SOURCE))),
    f(27, "storageos", One(Msg(&STORAGE_OS_VOLUME_SOURCE))),
    f(28, "csi", One(Msg(&CSI_VOLUME_SOURCE))),
    f(29, "ephemeral", One(Msg(&EPHEMERAL_VOLUME_SOURCE))),
    f(30, "image", One(Msg(&IMAGE_VOLUME_SOURCE))),
]);
pub(crate) static VSPHERE_VIRTUAL_DISK_VOLUME_SOURCE: Message = msg("VsphereVirtualDiskVolumeSource", &[
    f(1, "volumePath", One(Str)),
    f(2, "fsType", One(Str)),
    f(3, "storagePolicyName", One(Str)),
    f(4, "storagePolicyID", One(Str)),
]);
pub(crate) static WEIGHTED_POD_AFFINITY_TERM: Message = msg("WeightedPodAffinityTerm", &[
    keep(1, "weight", One(Int32)),
    f(2, "podAffinityTerm", One(Msg(&POD_AFFINITY_TERM))),
]);
pub(crate) static WINDOWS_SECURITY_CONTEXT_OPTIONS: Message = msg("WindowsSecurityContextOptions", &[
    keep(1, "gmsaCredentialSpecName", One(Str)),
    keep(2, "gmsaCredentialSpec", One(Str)),
    keep(3, "runAsUserName", One(Str)),
    keep(4, "hostProcess", One(Bool)),
]);
pub(crate) static WORKLOAD_REFERENCE: Message = msg("WorkloadReference", &[
    f(1, "name", One(Str)),
    f(2, "podGroup", One(Str)),
    f(3, "podGroupReplicaKey", One(Str)),
]);
