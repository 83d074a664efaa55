package sysmem

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
)

// Bound is the memory a process can still allocate.
type Bound struct {
	// Available is the bytes it can allocate: the least of MemAvailable and, for every
	// memory cgroup from the process's up to the root of its hierarchy that has a limit,
	// that limit less the cgroup's anonymous memory. A cgroup's file cache, active or not,
	// is reclaimed before the kernel fails an allocation or kills a process, and a
	// long-lived container fills its limit with it (this machine's: 438 MB active, 109 MB
	// inactive), so counting any of it as used would refuse runs that fit. 0 where nothing
	// could be read (not Linux).
	Available int64
	// CgroupLimit is the limit of the cgroup that bounds Available, 0 when MemAvailable
	// does (no limit, or one the machine's memory is below).
	CgroupLimit int64
}

// Available reads the Bound of the calling process from /proc and /sys.
func Available() Bound { return Read(os.DirFS("/")) }

// Read reads the Bound from fsys, a file system rooted where / is: proc/meminfo,
// proc/self/cgroup, proc/self/mountinfo and the cgroup files of the mounts that
// proc/self/mountinfo lists. Anything missing or unreadable counts as no bound.
func Read(fsys fs.FS) Bound {
	var b Bound
	if data, err := fs.ReadFile(fsys, "proc/meminfo"); err == nil {
		b.Available = memAvailable(data)
	}
	if avail, limit, ok := cgroupAvailable(fsys); ok && (b.Available <= 0 || avail < b.Available) {
		// A cgroup at or over its limit leaves nothing; 1 byte keeps "0: unknown" apart.
		b.Available, b.CgroupLimit = max(avail, 1), limit
	}
	return b
}

// memAvailable reads the "MemAvailable:  N kB" line of /proc/meminfo (Linux 3.14 and later),
// in bytes; 0 where there is none.
func memAvailable(data []byte) int64 {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "MemAvailable:" && f[2] == "kB" {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// unlimitedV1 is where cgroup v1's memory.limit_in_bytes means "no limit": the kernel
// writes PAGE_COUNTER_MAX pages (9223372036854771712 with 4 KiB pages) there.
const unlimitedV1 = 1 << 62

// cgroupAvailable returns the least of limit − anonymous memory over the limited memory cgroups
// from the process's to its hierarchy's root, with that cgroup's limit; ok is false where
// no cgroup has a limit or none can be read.
func cgroupAvailable(fsys fs.FS) (avail, limit int64, ok bool) {
	own, err := fs.ReadFile(fsys, "proc/self/cgroup")
	if err != nil {
		return 0, 0, false
	}
	mounts, err := fs.ReadFile(fsys, "proc/self/mountinfo")
	if err != nil {
		return 0, 0, false
	}
	for _, h := range memoryHierarchies(own, mounts) {
		for dir := h.dir; ; dir = path.Dir(dir) {
			if a, l, limited := h.available(fsys, dir); limited && (!ok || a < avail) {
				avail, limit, ok = a, l, true
			}
			if dir == h.mount || dir == "." || dir == "/" {
				break
			}
		}
	}
	return avail, limit, ok
}

// hierarchy is one memory cgroup hierarchy the process is in: the directory of its cgroup
// and the hierarchy's mount point, both relative to the file system's root.
type hierarchy struct {
	v2         bool
	dir, mount string
}

// memoryHierarchies finds the process's memory cgroups: the v2 one (line "0::/path" of
// /proc/self/cgroup, on the cgroup2 mount) and the v1 one (the line whose controllers
// include memory, on the cgroup mount with the memory option). A cgroup's path is relative
// to the hierarchy's root as the process's cgroup namespace sees it; the mount's root field
// says which part of the hierarchy is mounted. Where the path does not lie under it (a
// container that sees its host's path), the mount point itself is the process's cgroup, as
// it is in a container with its own cgroup namespace.
func memoryHierarchies(own, mounts []byte) []hierarchy {
	var paths [2]string // [0]: v2, [1]: v1
	var have [2]bool
	for _, line := range strings.Split(string(own), "\n") {
		f := strings.SplitN(line, ":", 3)
		if len(f) != 3 {
			continue
		}
		switch {
		case f[0] == "0" && f[1] == "":
			paths[0], have[0] = f[2], true
		case hasItem(f[1], "memory"):
			paths[1], have[1] = f[2], true
		}
	}
	var hs []hierarchy
	for _, line := range strings.Split(string(mounts), "\n") {
		// ID parent major:minor root mountpoint options [optional fields] - fstype source superoptions
		f := strings.Fields(line)
		sep := -1
		for i, s := range f {
			if s == "-" {
				sep = i
				break
			}
		}
		if sep < 5 || sep+3 >= len(f) {
			continue
		}
		root, point, fstype, super := unescape(f[3]), unescape(f[4]), f[sep+1], f[sep+3]
		v := -1
		switch {
		case fstype == "cgroup2" && have[0]:
			v = 0
		case fstype == "cgroup" && have[1] && hasItem(super, "memory"):
			v = 1
		}
		if v < 0 {
			continue
		}
		mount := strings.TrimPrefix(path.Clean(point), "/")
		if mount == "" {
			mount = "."
		}
		dir := mount
		switch rel, ok := strings.CutPrefix(paths[v], root); {
		case strings.HasPrefix(paths[v], "/.."):
			// The process's cgroup lies above its namespace's root (moved out of it): the
			// mount, the namespace's root, bounds it still.
		case ok && (root == "/" || rel == "" || rel[0] == '/'):
			dir = path.Join(mount, rel)
		default:
			// The mount holds another part of the hierarchy (a sibling cgroup's): its
			// limits are not the process's.
			have[v] = false
			continue
		}
		hs = append(hs, hierarchy{v2: v == 0, dir: dir, mount: mount})
		have[v] = false // the first mount of a hierarchy
	}
	return hs
}

// hasItem reports whether the comma-separated list has item.
func hasItem(list, item string) bool {
	for _, s := range strings.Split(list, ",") {
		if s == item {
			return true
		}
	}
	return false
}

// unescape undoes mountinfo's octal escapes of space, tab, newline and backslash.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// available reads one cgroup directory: its limit less its anonymous memory, and whether it
// has a limit at all. The directory may not exist where the process's path is not under the
// mount (its parents up to the mount point are then read). Without memory.stat's anonymous
// figure it counts the usage less the inactive file cache.
func (h hierarchy) available(fsys fs.FS, dir string) (avail, limit int64, limited bool) {
	limitFile, usageFile, anonKey, inactiveKey := "memory.max", "memory.current", "anon", "inactive_file"
	if !h.v2 {
		// The total_ figures count the cgroup's descendants too, as usage_in_bytes does;
		// rss is v1's anonymous memory (with the swap cache).
		limitFile, usageFile, anonKey, inactiveKey = "memory.limit_in_bytes", "memory.usage_in_bytes", "total_rss", "total_inactive_file"
	}
	limit, ok := readInt(fsys, path.Join(dir, limitFile))
	if !ok || limit <= 0 || (!h.v2 && limit >= unlimitedV1) {
		return 0, 0, false // "max" (v2) does not parse: no limit
	}
	stat := map[string]int64{}
	if data, err := fs.ReadFile(fsys, path.Join(dir, "memory.stat")); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, " "); ok {
				if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
					stat[k] = n
				}
			}
		}
	}
	used, ok := stat[anonKey]
	if !ok {
		usage, _ := readInt(fsys, path.Join(dir, usageFile))
		used = max(usage-stat[inactiveKey], 0)
	}
	return limit - used, limit, true
}

// readInt reads a file holding one decimal integer.
func readInt(fsys fs.FS, name string) (int64, bool) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
	return n, err == nil
}
