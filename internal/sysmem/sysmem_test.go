package sysmem

import (
	"strconv"
	"testing"
	"testing/fstest"
)

const gib = 1 << 30

func meminfo(availGiB int64) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte("MemTotal:  999999999 kB\nMemAvailable:   " + strconv.FormatInt(availGiB<<20, 10) + " kB\n")}
}

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

// mountinfo lines as Linux writes them.
const (
	mountV2 = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n"
	mountV1 = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n" +
		"35 31 0:32 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,memory\n" +
		"36 31 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
)

func TestRead(t *testing.T) {
	for _, c := range []struct {
		name      string
		fs        fstest.MapFS
		avail     int64
		limit     int64
		wantLimit bool
	}{
		{"no cgroup files: MemAvailable", fstest.MapFS{"proc/meminfo": meminfo(20)}, 20 * gib, 0, false},
		{"nothing readable", fstest.MapFS{}, 0, 0, false},
		{"v2 pod limited to 12 GiB, 3 GiB used of which 1 GiB inactive file cache", fstest.MapFS{
			"proc/meminfo":                 meminfo(200),
			"proc/self/cgroup":             file("0::/\n"),
			"proc/self/mountinfo":          file(mountV2),
			"sys/fs/cgroup/memory.max":     file("12884901888\n"),
			"sys/fs/cgroup/memory.current": file("3221225472\n"),
			"sys/fs/cgroup/memory.stat":    file("anon 2147483648\nfile 1073741824\ninactive_file 1073741824\nactive_file 0\n"),
		}, 10 * gib, 12 * gib, true},
		{"v2 unlimited (max)", fstest.MapFS{
			"proc/meminfo":        meminfo(20),
			"proc/self/cgroup":    file("0::/user.slice/session-1.scope\n"),
			"proc/self/mountinfo": file(mountV2),
			"sys/fs/cgroup/user.slice/session-1.scope/memory.max":     file("max\n"),
			"sys/fs/cgroup/user.slice/session-1.scope/memory.current": file("1000\n"),
		}, 20 * gib, 0, false},
		{"v2 limit on an ancestor, tighter than the process's own", fstest.MapFS{
			"proc/meminfo":        meminfo(500),
			"proc/self/cgroup":    file("0::/slurm/job_7/step_0\n"),
			"proc/self/mountinfo": file(mountV2),
			"sys/fs/cgroup/slurm/job_7/step_0/memory.max":     file("68719476736\n"),
			"sys/fs/cgroup/slurm/job_7/step_0/memory.current": file("1073741824\n"),
			"sys/fs/cgroup/slurm/job_7/memory.max":            file("8589934592\n"),
			"sys/fs/cgroup/slurm/job_7/memory.current":        file("2147483648\n"),
		}, 6 * gib, 8 * gib, true},
		{"v2 limit above MemAvailable: MemAvailable bounds", fstest.MapFS{
			"proc/meminfo":                 meminfo(4),
			"proc/self/cgroup":             file("0::/\n"),
			"proc/self/mountinfo":          file(mountV2),
			"sys/fs/cgroup/memory.max":     file("17179869184\n"),
			"sys/fs/cgroup/memory.current": file("0\n"),
		}, 4 * gib, 0, false},
		{"v1 SLURM job, hierarchical inactive file cache", fstest.MapFS{
			"proc/meminfo":        meminfo(100),
			"proc/self/cgroup":    file("12:pids:/slurm/uid_1/job_9\n4:memory:/slurm/uid_1/job_9/step_batch\n1:name=systemd:/\n"),
			"proc/self/mountinfo": file(mountV1),
			"sys/fs/cgroup/memory/slurm/uid_1/job_9/step_batch/memory.limit_in_bytes": file("9223372036854771712\n"),
			"sys/fs/cgroup/memory/slurm/uid_1/job_9/memory.limit_in_bytes":            file("17179869184\n"),
			"sys/fs/cgroup/memory/slurm/uid_1/job_9/memory.usage_in_bytes":            file("5368709120\n"),
			"sys/fs/cgroup/memory/slurm/uid_1/job_9/memory.stat":                      file("cache 2147483648\ninactive_file 0\ntotal_inactive_file 1073741824\n"),
			"sys/fs/cgroup/memory/memory.limit_in_bytes":                              file("9223372036854771712\n"),
		}, 12 * gib, 16 * gib, true},
		{"v1 container that sees its host's path: the mount is its cgroup", fstest.MapFS{
			"proc/meminfo":        meminfo(64),
			"proc/self/cgroup":    file("4:memory:/docker/0123abcd\n"),
			"proc/self/mountinfo": file("35 31 0:32 /docker/0123abcd /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n"),
			"sys/fs/cgroup/memory/memory.limit_in_bytes": file("2147483648\n"),
			"sys/fs/cgroup/memory/memory.usage_in_bytes": file("1073741824\n"),
		}, 1 * gib, 2 * gib, true},
		{"v2 container full of file cache, active and inactive: only anonymous memory counts", fstest.MapFS{
			"proc/meminfo":                 meminfo(200),
			"proc/self/cgroup":             file("0::/\n"),
			"proc/self/mountinfo":          file(mountV2),
			"sys/fs/cgroup/memory.max":     file("17179869184\n"),
			"sys/fs/cgroup/memory.current": file("15569256448\n"),
			"sys/fs/cgroup/memory.stat":    file("anon 536870912\nfile 15032385536\nactive_file 14000000000\ninactive_file 1032385536\n"),
		}, 15*gib + gib/2, 16 * gib, true},
		{"cgroup over its limit leaves nothing (1 byte, not unknown)", fstest.MapFS{
			"proc/meminfo":                 meminfo(64),
			"proc/self/cgroup":             file("0::/\n"),
			"proc/self/mountinfo":          file(mountV2),
			"sys/fs/cgroup/memory.max":     file("1073741824\n"),
			"sys/fs/cgroup/memory.current": file("2147483648\n"),
		}, 1, 1 * gib, true},
	} {
		got := Read(c.fs)
		if got.Available != c.avail || got.CgroupLimit != c.limit {
			t.Errorf("%s: %+v, want available %d, cgroup limit %d", c.name, got, c.avail, c.limit)
		}
	}
}

func TestMemoryHierarchiesPaths(t *testing.T) {
	// A mount of part of the hierarchy (root /docker/a) does not hold /docker/ab: a
	// sibling's limits are not the process's.
	hs := memoryHierarchies([]byte("0::/docker/ab\n"), []byte("30 23 0:26 /docker/a /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"))
	if len(hs) != 0 {
		t.Errorf("%+v, want no hierarchy", hs)
	}
	// A process moved above its cgroup namespace's root is still bounded by the mount.
	hs = memoryHierarchies([]byte("0::/../other\n"), []byte("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"))
	if len(hs) != 1 || hs[0].dir != "sys/fs/cgroup" {
		t.Errorf("%+v, want the mount point", hs)
	}
	hs = memoryHierarchies([]byte("0::/docker/a/b\n"), []byte("30 23 0:26 /docker/a /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"))
	if len(hs) != 1 || hs[0].dir != "sys/fs/cgroup/b" {
		t.Errorf("%+v, want sys/fs/cgroup/b", hs)
	}
	if got := unescape(`/mnt/a\040b\134c`); got != `/mnt/a b\c` {
		t.Errorf("unescape: %q", got)
	}
}

// On the machine running the test, whatever it has, Available is consistent: positive on
// Linux, and a cgroup limit bounds it only when it is below MemAvailable.
func TestAvailableHere(t *testing.T) {
	b := Available()
	t.Logf("available %.2f GiB, cgroup limit %.2f GiB", float64(b.Available)/gib, float64(b.CgroupLimit)/gib)
	if b.CgroupLimit > 0 && b.Available > b.CgroupLimit {
		t.Errorf("available %d above the cgroup limit %d", b.Available, b.CgroupLimit)
	}
}
