package sweep

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// K8sSettings describe the Kubernetes Indexed Job of a sweep (ecosystem.md §5.4;
// kubernetes.io/docs/tasks/job/indexed-parallel-processing-static).
type K8sSettings struct {
	Name      string // Job name, a DNS-1123 label ("" = gridcells-sweep)
	Namespace string // "" = the kubectl context's
	Image     string // container image holding the gridcells binary (required)
	Program   string // gridcells inside the image ("" = "gridcells", found on PATH)

	PVC       string // PersistentVolumeClaim holding the sweep directory (required)
	SubPath   string // the sweep directory inside the claim ("" = the claim's root)
	MountPath string // where the sweep directory is mounted in the pod ("" = /sweep)

	Parallelism          int    // pods at once (0 = all)
	BackoffLimitPerIndex int    // retries of one failed index (Kubernetes ≥ 1.29 beta, 1.33 GA)
	CPUs                 int    // CPU request per pod (0 = none); also GOMAXPROCS
	Mem                  string // memory request and limit, SLURM ("8G") or Kubernetes ("8Gi") units
	GPUs                 int    // nvidia.com/gpu limit per pod (0 = none)
	Lanes                int    // rows per pod, trained together as lanes of one process (0, 1 = one)
}

// K8s object shapes (only the fields the Job uses), in the key order kubectl prints.
type (
	k8sJob struct {
		APIVersion string     `yaml:"apiVersion"`
		Kind       string     `yaml:"kind"`
		Metadata   k8sMeta    `yaml:"metadata"`
		Spec       k8sJobSpec `yaml:"spec"`
	}
	k8sMeta struct {
		Name      string            `yaml:"name"`
		Namespace string            `yaml:"namespace,omitempty"`
		Labels    map[string]string `yaml:"labels,omitempty"`
	}
	k8sJobSpec struct {
		CompletionMode       string      `yaml:"completionMode"`
		Completions          int         `yaml:"completions"`
		Parallelism          int         `yaml:"parallelism"`
		BackoffLimitPerIndex int         `yaml:"backoffLimitPerIndex"`
		Template             k8sTemplate `yaml:"template"`
	}
	k8sTemplate struct {
		Metadata k8sMeta    `yaml:"metadata"`
		Spec     k8sPodSpec `yaml:"spec"`
	}
	k8sPodSpec struct {
		RestartPolicy                 string         `yaml:"restartPolicy"`
		TerminationGracePeriodSeconds int            `yaml:"terminationGracePeriodSeconds"`
		Containers                    []k8sContainer `yaml:"containers"`
		Volumes                       []k8sVolume    `yaml:"volumes"`
	}
	k8sContainer struct {
		Name         string       `yaml:"name"`
		Image        string       `yaml:"image"`
		Command      []string     `yaml:"command"`
		Args         []string     `yaml:"args"`
		Env          []k8sEnv     `yaml:"env"`
		Resources    k8sResources `yaml:"resources,omitempty"`
		VolumeMounts []k8sMount   `yaml:"volumeMounts"`
	}
	k8sEnv struct {
		Name      string        `yaml:"name"`
		Value     string        `yaml:"value,omitempty"`
		ValueFrom *k8sEnvSource `yaml:"valueFrom,omitempty"`
	}
	k8sEnvSource struct {
		FieldRef struct {
			FieldPath string `yaml:"fieldPath"`
		} `yaml:"fieldRef"`
	}
	k8sResources struct {
		Requests map[string]string `yaml:"requests,omitempty"`
		Limits   map[string]string `yaml:"limits,omitempty"`
	}
	k8sMount struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		SubPath   string `yaml:"subPath,omitempty"`
	}
	k8sVolume struct {
		Name                  string `yaml:"name"`
		PersistentVolumeClaim struct {
			ClaimName string `yaml:"claimName"`
		} `yaml:"persistentVolumeClaim"`
	}
)

var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// K8sJob returns the YAML of an Indexed Job with one completion per task (a manifest row,
// or with s.Lanes > 1 a group of Lanes rows trained together; completions counts tasks,
// see LaneTasks): pod i runs "gridcells sweep run MOUNT --index $(JOB_COMPLETION_INDEX)
// [--lanes K]" on the sweep directory
// mounted from the claim, with restartPolicy Never (which backoffLimitPerIndex requires);
// a failed index is retried with the same index, and a retry resumes the run.
func K8sJob(s *K8sSettings, completions int) ([]byte, error) {
	name := s.Name
	if name == "" {
		name = "gridcells-sweep"
	}
	switch {
	case len(name) > 63 || !dns1123.MatchString(name):
		return nil, fmt.Errorf("sweep: Job name %q: want a DNS-1123 label (lower-case letters, digits, '-', at most 63)", name)
	case s.Image == "":
		return nil, fmt.Errorf("sweep: a Kubernetes Job needs the container image (--image)")
	case s.PVC == "":
		return nil, fmt.Errorf("sweep: a Kubernetes Job needs the PersistentVolumeClaim holding the sweep directory (--pvc)")
	case completions < 1:
		return nil, fmt.Errorf("sweep: the manifest has no runs")
	case s.Parallelism < 0 || s.BackoffLimitPerIndex < 0 || s.CPUs < 0 || s.GPUs < 0 || s.Lanes < 0:
		return nil, fmt.Errorf("sweep: --parallelism, --retries, --cpus, --gpus and --lanes must be ≥ 0")
	case s.Namespace != "" && (len(s.Namespace) > 63 || !dns1123.MatchString(s.Namespace)):
		return nil, fmt.Errorf("sweep: namespace %q: want a DNS-1123 label (lower-case letters, digits, '-', at most 63)", s.Namespace)
	case s.SubPath != "" && (path.IsAbs(s.SubPath) || slices.Contains(strings.Split(s.SubPath, "/"), "..")):
		return nil, fmt.Errorf("sweep: --sub-path %q: want a path relative to the claim's root with no .. element", s.SubPath)
	case s.MountPath != "" && !path.IsAbs(s.MountPath):
		return nil, fmt.Errorf("sweep: --mount %q: want an absolute path in the container, e.g. /sweep", s.MountPath)
	}
	program := s.Program
	if program == "" {
		program = "gridcells"
	}
	mount := s.MountPath
	if mount == "" {
		mount = "/sweep"
	}
	par := s.Parallelism
	if par == 0 || par > completions {
		par = completions
	}
	c := k8sContainer{
		Name:    "run",
		Image:   s.Image,
		Command: []string{program},
		// Kubernetes expands $(VAR) in args from the container's environment.
		Args:         []string{"sweep", "run", mount, "--index", "$(" + EnvK8sIndex + ")"},
		VolumeMounts: []k8sMount{{Name: "sweep", MountPath: mount, SubPath: s.SubPath}},
	}
	if s.Lanes > 1 {
		c.Args = append(c.Args, "--lanes", strconv.Itoa(s.Lanes))
	}
	// The index is also set by Kubernetes itself; naming it from the pod annotation keeps
	// the manifest working on clusters that predate the variable (< 1.22).
	idx := k8sEnv{Name: EnvK8sIndex, ValueFrom: &k8sEnvSource{}}
	idx.ValueFrom.FieldRef.FieldPath = "metadata.annotations['batch.kubernetes.io/job-completion-index']"
	c.Env = append(c.Env, idx)
	res := k8sResources{Requests: map[string]string{}, Limits: map[string]string{}}
	if s.CPUs > 0 {
		res.Requests["cpu"] = strconv.Itoa(s.CPUs)
		c.Env = append(c.Env, k8sEnv{Name: "GOMAXPROCS", Value: strconv.Itoa(s.CPUs)})
	}
	if s.Mem != "" {
		m, err := k8sQuantity(s.Mem)
		if err != nil {
			return nil, err
		}
		res.Requests["memory"], res.Limits["memory"] = m, m
	}
	if s.GPUs > 0 {
		res.Limits["nvidia.com/gpu"] = strconv.Itoa(s.GPUs)
	}
	if len(res.Requests) == 0 {
		res.Requests = nil
	}
	if len(res.Limits) == 0 {
		res.Limits = nil
	}
	c.Resources = res
	vol := k8sVolume{Name: "sweep"}
	vol.PersistentVolumeClaim.ClaimName = s.PVC
	labels := map[string]string{"app.kubernetes.io/name": "gridcells", "app.kubernetes.io/component": "sweep"}
	job := k8sJob{
		APIVersion: "batch/v1",
		Kind:       "Job",
		Metadata:   k8sMeta{Name: name, Namespace: s.Namespace, Labels: labels},
		Spec: k8sJobSpec{
			CompletionMode:       "Indexed",
			Completions:          completions,
			Parallelism:          par,
			BackoffLimitPerIndex: s.BackoffLimitPerIndex,
			Template: k8sTemplate{
				Metadata: k8sMeta{Name: name, Labels: labels},
				Spec: k8sPodSpec{
					RestartPolicy: "Never",
					// An evicted pod's worker gives its train process stopGrace to write a
					// checkpoint after SIGTERM; Kubernetes' default 30 s would kill it first.
					TerminationGracePeriodSeconds: int((stopGrace + 30*time.Second) / time.Second),
					Containers:                    []k8sContainer{c},
					Volumes:                       []k8sVolume{vol},
				},
			},
		},
	}
	var buf bytes.Buffer
	if s.Lanes > 1 {
		fmt.Fprintf(&buf, "# gridcells sweep: %d tasks of up to %d runs each; kubectl apply -f this file\n", completions, s.Lanes)
	} else {
		fmt.Fprintf(&buf, "# gridcells sweep: %d runs; kubectl apply -f this file\n", completions)
	}
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(job); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	return buf.Bytes(), nil
}

var memRe = regexp.MustCompile(`^(\d+)([KMGTkmgt]?)(i?)[Bb]?$`)

// k8sQuantity converts a SLURM memory size ("8G", "500M", "4096" = MiB) to a Kubernetes
// quantity ("8Gi", "500Mi", "4096Mi"); Kubernetes forms ("8Gi") pass through.
func k8sQuantity(s string) (string, error) {
	m := memRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", fmt.Errorf("sweep: memory %q: want a size like 8G, 500M or 8Gi", s)
	}
	unit := strings.ToUpper(m[2])
	if unit == "" {
		unit = "M" // SLURM's --mem unit
	}
	return m[1] + unit + "i", nil
}
