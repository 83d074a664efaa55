// Package sysmem says how much memory this process can still allocate before the kernel
// refuses it or kills it: Linux's MemAvailable, bounded by the limits of the memory cgroups
// the process is in (a container's, a Kubernetes pod's, a SLURM job's), cgroup v2 or v1.
//
// Go's answer to an allocation the machine cannot give is a fatal error no code can catch,
// and a cgroup's answer is the OOM killer, so a program that knows its need beforehand
// checks it against Available and says so instead. On a node whose MemAvailable is
// hundreds of gigabytes, a pod limited to 12 GiB can still only have 12 GiB; the host's
// figure alone would let it start and be killed.
package sysmem
