package npyio

import (
	"archive/zip"
	"compress/flate"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"strings"
	"time"

	"github.com/gridcells/gridcells/internal/safefile"
)

// ReadNPZ reads every array of the .npz archive at path, keyed by entry name without
// its ".npy" suffix (as numpy.load's NpzFile does). Entries not named *.npy are not arrays
// (numpy hands them out as bytes) and are skipped.
func ReadNPZ(path string) (map[string]*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	m, err := ReadNPZFrom(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// ReadNPZFrom reads every array of an .npz archive of the given size from r, as ReadNPZ.
func ReadNPZFrom(r io.ReaderAt, size int64) (map[string]*Array, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%w: not a zip archive: %v", ErrFormat, err)
	}
	out := make(map[string]*Array, len(zr.File))
	for _, zf := range zr.File {
		key, isArray := strings.CutSuffix(zf.Name, ".npy")
		if !isArray {
			continue // a file savez would not write (a README, say), not an array
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("%w: duplicate NPZ entry %q", ErrFormat, zf.Name)
		}
		a, err := readEntry(zf)
		if err != nil {
			return nil, fmt.Errorf("NPZ entry %q: %w", zf.Name, err)
		}
		out[key] = a
	}
	return out, nil
}

func readEntry(zf *zip.File) (*Array, error) {
	if zf.Method != zip.Store && zf.Method != zip.Deflate {
		return nil, fmt.Errorf("%w: unsupported zip method %d (want stored or deflated)", ErrFormat, zf.Method)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	defer rc.Close()
	declared := int64(-1)
	if zf.UncompressedSize64 <= 1<<62 {
		declared = int64(zf.UncompressedSize64)
	}
	// The declared size bounds the claim of the .npy header, but it is itself only a
	// claim, so the data slice still grows with the bytes that actually decompress.
	a, err := readNPY(rc, declared, false)
	if err != nil {
		if errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrFormat) {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		return nil, err
	}
	// Drain the entry so that archive/zip verifies its size and CRC-32.
	var one [1]byte
	switch n, err := rc.Read(one[:]); {
	case n > 0:
		return nil, fmt.Errorf("%w: bytes after the array", ErrFormat)
	case err != nil && err != io.EOF:
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return a, nil
}

// WriteNPZ writes the arrays to path atomically as an uncompressed .npz archive (as
// numpy.savez does), entry i named names[i]+".npy".
func WriteNPZ(path string, names []string, arrays []*Array) error {
	if err := checkNPZ(names, arrays); err != nil {
		return err
	}
	return safefile.Write(path, func(w io.Writer) error { return WriteNPZTo(w, names, arrays, false) })
}

// msDOS1980 is 1980-01-01 as an MS-DOS date: (year − 1980)<<9 | month<<5 | day.
const msDOS1980 = 1<<5 | 1

// WriteNPZTo writes an .npz archive to w, deflating the entries when compress is true
// (numpy.savez_compressed) and storing them otherwise (numpy.savez). A stored entry is
// encoded twice, once for its size and CRC and once into w, so the arrays must not change
// during the call. Entry times are fixed at 1980-01-01 so that the same arrays always give
// the same bytes.
func WriteNPZTo(w io.Writer, names []string, arrays []*Array, compress bool) error {
	if err := checkNPZ(names, arrays); err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.DefaultCompression)
	})
	for i, a := range arrays {
		fh := &zip.FileHeader{
			Name:     names[i] + ".npy",
			Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC),
		}
		if compress {
			fh.Method = zip.Deflate
			ew, err := zw.CreateHeader(fh)
			if err != nil {
				return err
			}
			if err := Write(ew, a); err != nil {
				return fmt.Errorf("NPZ entry %q: %w", names[i], err)
			}
			continue
		}
		// Stored entries carry their sizes and CRC in the local header (no data
		// descriptor), as Python's zipfile writes them. They are found by a first pass over
		// the encoding instead of holding it: an entry can be gigabytes (gridcells simulate).
		crc := crc32.NewIEEE()
		size := &countingWriter{w: crc}
		if err := Write(size, a); err != nil {
			return fmt.Errorf("NPZ entry %q: %w", names[i], err)
		}
		fh.Method = zip.Store
		// CreateRaw writes the header's MS-DOS date and time as they are, without
		// CreateHeader's conversion of Modified: left zero they read as month 0, day 0.
		//lint:ignore SA1019 CreateRaw takes only these fields; it does not convert Modified
		fh.ModifiedDate, fh.ModifiedTime = msDOS1980, 0
		fh.CRC32 = crc.Sum32()
		fh.CompressedSize64 = uint64(size.n)
		fh.UncompressedSize64 = uint64(size.n)
		ew, err := zw.CreateRaw(fh)
		if err != nil {
			return err
		}
		check := crc32.NewIEEE()
		written := &countingWriter{w: io.MultiWriter(ew, check)}
		if err := Write(written, a); err != nil {
			return fmt.Errorf("NPZ entry %q: %w", names[i], err)
		}
		// The header promised these bytes; CreateRaw checks nothing.
		if written.n != size.n || check.Sum32() != fh.CRC32 {
			return fmt.Errorf("NPZ entry %q: the array changed while it was written", names[i])
		}
	}
	return zw.Close()
}

func checkNPZ(names []string, arrays []*Array) error {
	if len(names) != len(arrays) {
		return fmt.Errorf("npyio: %d names for %d arrays", len(names), len(arrays))
	}
	seen := make(map[string]bool, len(names))
	for i, n := range names {
		if n == "" || strings.ContainsAny(n, "/\\") {
			return fmt.Errorf("npyio: invalid NPZ entry name %q", n)
		}
		if seen[n] {
			return fmt.Errorf("npyio: duplicate NPZ entry name %q", n)
		}
		seen[n] = true
		if err := arrays[i].check(); err != nil {
			return fmt.Errorf("NPZ entry %q: %w", n, err)
		}
	}
	return nil
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
