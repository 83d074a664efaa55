package npyio

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"
)

// fixture arrays, rebuilt from the formulas in testdata/make_fixtures.py (numpy 1.24.2).
func arange64(n int, scale, offset float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = float64(i)*scale + offset
	}
	return out
}

func fixtures() map[string]*Array {
	f4 := make([]float32, 24)
	for i := range f4 {
		f4[i] = float32(i) * 0.25
	}
	a2x3 := NewFloat64(arange64(6, 0.5, -1), 2, 3)
	return map[string]*Array{
		"f8_2x3.npy":           a2x3,
		"f8_2x3_v2.npy":        a2x3,
		"f8_2x3_v3.npy":        a2x3,
		"f4_2x3x4.npy":         NewFloat32(f4, 2, 3, 4),
		"i8_4.npy":             NewInt64([]int64{-3, 0, 7, 1 << 40}, 4),
		"i4_2x2.npy":           {Shape: []int{2, 2}, Dtype: "<i4", I64: []int64{math.MinInt32, -1, 0, math.MaxInt32}},
		"f8_scalar.npy":        NewFloat64([]float64{3.25}),
		"f8_0x3.npy":           NewFloat64([]float64{}, 0, 3),
		"f8_fortran_2x3x4.npy": NewFloat64(arange64(24, 1, 0), 2, 3, 4),
		"f8_be_3.npy":          NewFloat64([]float64{1.5, -2, 1e300}, 3),
		"f4_be_3.npy":          NewFloat32([]float32{1.5, -2, 3e38}, 3),
		"u1_5.npy":             {Shape: []int{5}, Dtype: "|u1", I64: []int64{0, 1, 127, 128, 255}},
		"b1_3.npy":             {Shape: []int{3}, Dtype: "|b1", I64: []int64{1, 0, 1}},
	}
}

// sameArray reports whether a and b have equal shape, dtype and bit-identical elements.
func sameArray(a, b *Array) bool {
	if !reflect.DeepEqual(append([]int{}, a.Shape...), append([]int{}, b.Shape...)) || a.Dtype != b.Dtype {
		return false
	}
	if len(a.F32) != len(b.F32) || len(a.F64) != len(b.F64) || len(a.I64) != len(b.I64) {
		return false
	}
	for i := range a.F32 {
		if math.Float32bits(a.F32[i]) != math.Float32bits(b.F32[i]) {
			return false
		}
	}
	for i := range a.F64 {
		if math.Float64bits(a.F64[i]) != math.Float64bits(b.F64[i]) {
			return false
		}
	}
	return reflect.DeepEqual(a.I64, b.I64) || (len(a.I64) == 0 && len(b.I64) == 0)
}

func TestReadNumpyFixtures(t *testing.T) {
	for name, want := range fixtures() {
		got, err := ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !sameArray(got, want) {
			t.Errorf("%s: got %+v, want %+v", name, got, want)
		}
		// Read from a plain stream too (size unknown: the grow-as-you-go path).
		b, _ := os.ReadFile(filepath.Join("testdata", name))
		got, err = Read(io.MultiReader(bytes.NewReader(b)))
		if err != nil || !sameArray(got, want) {
			t.Errorf("%s via stream: got %+v, %v", name, got, err)
		}
	}
}

// TestWriteMatchesNumpy checks that Write reproduces numpy.save byte for byte for every
// little-endian C-order version 1.0 fixture.
func TestWriteMatchesNumpy(t *testing.T) {
	for _, name := range []string{"f8_2x3.npy", "f4_2x3x4.npy", "i8_4.npy", "i4_2x2.npy", "f8_scalar.npy",
		"f8_0x3.npy", "u1_5.npy", "b1_3.npy"} {
		want, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Write(&buf, fixtures()[name]); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: Write gives\n%q\nnumpy.save gives\n%q", name, buf.Bytes(), want)
		}
	}
}

func TestReadNumpyNPZ(t *testing.T) {
	want := fixtures()
	for _, name := range []string{"stored.npz", "deflated.npz"} {
		m, err := ReadNPZ(filepath.Join("testdata", name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(m) != 2 || !sameArray(m["a"], want["f8_2x3.npy"]) || !sameArray(m["b"], want["i8_4.npy"]) {
			t.Errorf("%s: got %v", name, m)
		}
	}
}

func randomArray(rng *rand.Rand, dtype string, shape []int) *Array {
	n, _ := shapeSize(shape)
	a := &Array{Shape: shape, Dtype: dtype}
	switch dtype {
	case "<f4":
		a.F32 = make([]float32, n)
		for i := range a.F32 {
			a.F32[i] = float32(rng.NormFloat64())
		}
	case "<f8":
		a.F64 = make([]float64, n)
		for i := range a.F64 {
			a.F64[i] = rng.NormFloat64() * 1e10
		}
	default:
		a.I64 = make([]int64, n)
		for i := range a.I64 {
			switch dtype {
			case "<i8":
				a.I64[i] = int64(rng.Uint64())
			case "<i4":
				a.I64[i] = int64(int32(rng.Uint32()))
			case "|u1":
				a.I64[i] = int64(rng.IntN(256))
			case "|b1":
				a.I64[i] = int64(rng.IntN(2))
			}
		}
	}
	return a
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	shapes := [][]int{{}, {0}, {1}, {7}, {3, 5}, {2, 0, 4}, {2, 3, 4, 5}, {100000}}
	var names []string
	var arrays []*Array
	for _, dt := range []string{"<f4", "<f8", "<i8", "<i4", "|u1", "|b1"} {
		for _, sh := range shapes {
			a := randomArray(rng, dt, sh)
			var buf bytes.Buffer
			if err := Write(&buf, a); err != nil {
				t.Fatalf("%s %v: %v", dt, sh, err)
			}
			if buf.Len()%arrayAlign != (a.Size()*map[string]int{"<f4": 4, "<f8": 8, "<i8": 8, "<i4": 4, "|u1": 1, "|b1": 1}[dt])%arrayAlign {
				t.Errorf("%s %v: data does not start on a %d-byte boundary", dt, sh, arrayAlign)
			}
			got, err := Read(bytes.NewReader(buf.Bytes()))
			if err != nil || !sameArray(got, a) {
				t.Fatalf("%s %v: round trip gives %v, %v", dt, sh, got.Shape, err)
			}
			path := filepath.Join(dir, "x.npy")
			if err := WriteFile(path, a); err != nil {
				t.Fatal(err)
			}
			if got, err := ReadFile(path); err != nil || !sameArray(got, a) {
				t.Fatalf("%s %v: file round trip: %v", dt, sh, err)
			}
			names = append(names, dt[1:]+"_"+string(rune('a'+len(names))))
			arrays = append(arrays, a)
		}
	}
	path := filepath.Join(dir, "x.npz")
	if err := WriteNPZ(path, names, arrays); err != nil {
		t.Fatal(err)
	}
	m, err := ReadNPZ(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		if !sameArray(m[n], arrays[i]) {
			t.Errorf("npz entry %s differs", n)
		}
	}
	var zbuf bytes.Buffer
	if err := WriteNPZTo(&zbuf, names, arrays, true); err != nil {
		t.Fatal(err)
	}
	m, err = ReadNPZFrom(bytes.NewReader(zbuf.Bytes()), int64(zbuf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		if !sameArray(m[n], arrays[i]) {
			t.Errorf("compressed npz entry %s differs", n)
		}
	}
}

// TestWriteVersion2 checks that a header too long for version 1.0's uint16 length is
// written as version 2.0, as numpy does (format._wrap_header_guess_version).
func TestWriteVersion2(t *testing.T) {
	shape := make([]int, 22000) // "1, " per axis: a 66 kB header
	for i := range shape {
		shape[i] = 1
	}
	a := NewFloat64([]float64{2.5}, shape...)
	var buf bytes.Buffer
	if err := Write(&buf, a); err != nil {
		t.Fatal(err)
	}
	if b := buf.Bytes(); b[6] != 2 || b[7] != 0 || (buf.Len()-8)%arrayAlign != 0 {
		t.Fatalf("version %d.%d, %d bytes; want 2.0 with the data 64-byte aligned", b[6], b[7], buf.Len())
	}
	got, err := Read(&buf)
	if err != nil || !sameArray(got, a) {
		t.Fatalf("version 2.0 round trip: %v", err)
	}
}

func TestAsFloat(t *testing.T) {
	i := &Array{Shape: []int{3}, Dtype: "<i4", I64: []int64{-1, 0, 1 << 30}}
	if got := i.AsFloat64(); !reflect.DeepEqual(got, []float64{-1, 0, 1 << 30}) {
		t.Errorf("AsFloat64 of <i4 = %v", got)
	}
	f := NewFloat64([]float64{0.1, 1e300}, 2)
	if got := f.AsFloat32(); got[0] != float32(0.1) || !math.IsInf(float64(got[1]), 1) {
		t.Errorf("AsFloat32 of <f8 = %v", got)
	}
	g := NewFloat32([]float32{0.1}, 1)
	if got := g.AsFloat64(); got[0] != float64(float32(0.1)) {
		t.Errorf("AsFloat64 of <f4 = %v", got)
	}
	if got := f.AsFloat64(); &got[0] != &f.F64[0] {
		t.Error("AsFloat64 of <f8 copies")
	}
}

func TestFortranToC(t *testing.T) {
	// Fortran layout of a 2×3 matrix [[0,1,2],[3,4,5]] is column by column.
	got := fortranToC([]int{0, 3, 1, 4, 2, 5}, []int{2, 3})
	if !reflect.DeepEqual(got, []int{0, 1, 2, 3, 4, 5}) {
		t.Errorf("fortranToC 2×3 = %v", got)
	}
	// 2×3×4: element (i,j,k) = 12i+4j+k is at Fortran offset i+2j+6k.
	src := make([]int, 24)
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 4; k++ {
				src[i+2*j+6*k] = 12*i + 4*j + k
			}
		}
	}
	got = fortranToC(src, []int{2, 3, 4})
	for i, v := range got {
		if v != i {
			t.Fatalf("fortranToC 2×3×4 = %v", got)
		}
	}
}

func TestWriteRejectsInconsistentArrays(t *testing.T) {
	bad := []*Array{
		nil,
		{Shape: []int{2}, Dtype: "<f8", F64: []float64{1}},
		{Shape: []int{2}, Dtype: "<f8", F32: []float32{1, 2}},
		{Shape: []int{-1}, Dtype: "<f8"},
		{Shape: []int{1}, Dtype: "<c16", F64: []float64{1}},
		{Shape: []int{1}, Dtype: "<i4", I64: []int64{1 << 40}},
		{Shape: []int{1}, Dtype: "|u1", I64: []int64{256}},
		{Shape: []int{1}, Dtype: "|b1", I64: []int64{2}},
	}
	for _, a := range bad {
		if err := Write(io.Discard, a); err == nil {
			t.Errorf("Write(%+v) succeeded", a)
		}
	}
	if err := WriteNPZTo(io.Discard, []string{"a", "a"}, []*Array{NewInt64([]int64{1}, 1), NewInt64([]int64{1}, 1)}, false); err == nil {
		t.Error("WriteNPZTo accepted duplicate names")
	}
	if err := WriteNPZTo(io.Discard, []string{"a"}, nil, false); err == nil {
		t.Error("WriteNPZTo accepted mismatched names and arrays")
	}
}

func npyHeader(dict string) []byte {
	b := []byte(magic + "\x01\x00")
	b = append(b, byte(len(dict)), byte(len(dict)>>8))
	return append(b, dict...)
}

func TestReadRejectsMalformed(t *testing.T) {
	good, err := os.ReadFile("testdata/f8_2x3.npy")
	if err != nil {
		t.Fatal(err)
	}
	// Every proper prefix of a valid file is truncated.
	for n := 0; n < len(good); n++ {
		if _, err := Read(bytes.NewReader(good[:n])); !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrFormat) {
			t.Errorf("prefix of %d bytes: err = %v", n, err)
		}
		if _, err := Read(io.MultiReader(bytes.NewReader(good[:n]))); err == nil {
			t.Errorf("streamed prefix of %d bytes: no error", n)
		}
	}
	cases := map[string][]byte{
		"bad magic":        append([]byte("\x93NUMPZ"), good[6:]...),
		"version 4":        append([]byte(magic+"\x04\x00"), good[8:]...),
		"version 1.1":      append([]byte(magic+"\x01\x01"), good[8:]...),
		"no dict":          npyHeader("'descr': '<f8'\n"),
		"missing key":      npyHeader("{'descr': '<f8', 'shape': (1,), }\n"),
		"extra key":        npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}\n"),
		"duplicate key":    npyHeader("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n"),
		"complex dtype":    npyHeader("{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }\n"),
		"struct dtype":     npyHeader("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }\n"),
		"negative dim":     npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }\n"),
		"int not tuple":    npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1), }\n"),
		"bad bool":         npyHeader("{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }\n"),
		"trailing junk":    npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), } x\n"),
		"overflowing dims": npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }\n"),
		"huge dim":         npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999999,), }\n"),
		"v2 huge header":   []byte(magic + "\x02\x00\xff\xff\xff\xff{"),
		"unterminated":     npyHeader("{'descr': '<f8"),
	}
	for name, b := range cases {
		if _, err := Read(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// With their data present, the header defects must be what is refused (ErrFormat), not
	// a truncation: without data, a reader that accepted the header passed too. The valid
	// dict first shows the data suffices.
	data := make([]byte, 8)
	if a, err := Read(bytes.NewReader(append(npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }\n"), data...))); err != nil || len(a.F64) != 1 {
		t.Fatalf("valid header with its data: %v", err)
	}
	for _, name := range []string{"no dict", "missing key", "extra key", "duplicate key", "complex dtype", "struct dtype", "negative dim", "int not tuple", "bad bool", "trailing junk"} {
		if _, err := Read(bytes.NewReader(append(slices.Clone(cases[name]), data...))); !errors.Is(err, ErrFormat) {
			t.Errorf("%s, with its data: err = %v, want ErrFormat", name, err)
		}
	}
}

// TestLyingHeaderDoesNotAllocate checks that a header claiming far more data than the
// input holds neither succeeds nor allocates anything near the claimed size, whether
// the input's size is known or not.
func TestLyingHeaderDoesNotAllocate(t *testing.T) {
	const claimed = 1 << 34 // 128 GiB of float64s
	const allowedAlloc = 8 << 20
	b := npyHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (16, 1073741824), }\n")
	b = append(b, make([]byte, 1024)...)
	for _, r := range []func() io.Reader{
		func() io.Reader { return bytes.NewReader(b) },
		func() io.Reader { return io.MultiReader(bytes.NewReader(b)) },
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := Read(r())
		runtime.ReadMemStats(&after)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("err = %v, want unexpected EOF", err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > allowedAlloc {
			t.Errorf("allocated %d bytes for a header claiming %d elements", got, claimed)
		}
	}
}

func TestReadNPZRejectsMalformed(t *testing.T) {
	good, err := os.ReadFile("testdata/stored.npz")
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(good); n += 7 {
		if _, err := ReadNPZFrom(bytes.NewReader(good[:n]), int64(n)); err == nil {
			t.Errorf("prefix of %d bytes: no error", n)
		}
	}
	// Flip one data byte of entry a: the CRC check must catch it.
	bad := bytes.Clone(good)
	i := bytes.Index(bad, []byte("\x00\x00\x00\x00\x00\x00\xe0\xbf")) // -0.5 as <f8
	if i < 0 {
		t.Fatal("fixture layout changed")
	}
	bad[i+7] ^= 0x40
	if _, err := ReadNPZFrom(bytes.NewReader(bad), int64(len(bad))); err == nil {
		t.Error("corrupted entry: no error")
	}
}

// TestGoldenRatemaps reads the NFL golden rate maps shared by the grid-score tests.
func TestGoldenRatemaps(t *testing.T) {
	const path = "/work/shared/golden/gridscore-synthetic/ratemaps.npy"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("golden file absent: %v", err)
	}
	a, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a.Shape, []int{160, 32, 32}) || a.Dtype != "<f8" || len(a.F64) != 160*32*32 {
		t.Errorf("got shape %v dtype %s with %d float64s, want (160, 32, 32) <f8", a.Shape, a.Dtype, len(a.F64))
	}
}

func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.npy")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(npyHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, r := range []io.Reader{bytes.NewReader(b), io.MultiReader(bytes.NewReader(b))} {
			a, err := Read(r)
			if err != nil {
				continue
			}
			// Whatever reads must write and read back to the same array.
			var buf bytes.Buffer
			if err := Write(&buf, a); err != nil {
				t.Fatalf("Write of a read array: %v", err)
			}
			back, err := Read(&buf)
			if err != nil || !sameArray(back, a) {
				t.Fatalf("rewrite does not round-trip: %v", err)
			}
		}
	})
}

func FuzzReadNPZ(f *testing.F) {
	for _, p := range []string{"testdata/stored.npz", "testdata/deflated.npz"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ReadNPZFrom(bytes.NewReader(b), int64(len(b)))
	})
}

// An array written in chunks is byte for byte the array written whole, for chunks that do
// and do not divide its size; a fill error leaves no file.
func TestWriteFloat32Chunks(t *testing.T) {
	dir := t.TempDir()
	data := make([]float32, 7*5*3)
	for i := range data {
		data[i] = float32(i)*0.25 - 3
	}
	whole := filepath.Join(dir, "whole.npy")
	if err := WriteFile(whole, NewFloat32(data, 7, 5, 3)); err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(whole)
	for _, chunk := range []int{1, 15, 16, 105, 1000} {
		path := filepath.Join(dir, fmt.Sprintf("c%d.npy", chunk))
		calls := 0
		err := WriteFloat32Chunks(path, []int{7, 5, 3}, chunk, func(dst []float32, start int) error {
			calls++
			copy(dst, data[start:])
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, want) {
			t.Errorf("chunk %d: file differs from the array written whole", chunk)
		}
		if wantCalls := (len(data) + chunk - 1) / chunk; calls != wantCalls {
			t.Errorf("chunk %d: %d fills; want %d", chunk, calls, wantCalls)
		}
	}
	stop := errors.New("stop")
	path := filepath.Join(dir, "stopped.npy")
	err := WriteFloat32Chunks(path, []int{7, 5, 3}, 10, func(dst []float32, start int) error {
		if start >= 50 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("fill error: %v; want it returned", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 6 {
		t.Errorf("%d files after a failed write; want 6 (nothing of the failed one)", len(ents))
	}
}

// Every entry, stored or deflated, is dated 1980-01-01 00:00, a valid MS-DOS date (zip
// tools and Python's zipfile showed the stored ones as month 0, day 0).
func TestNPZEntryDates(t *testing.T) {
	a := NewFloat32([]float32{1, 2, 3}, 3)
	for _, compress := range []bool{false, true} {
		var buf bytes.Buffer
		if err := WriteNPZTo(&buf, []string{"x", "y"}, []*Array{a, a}, compress); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		want := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, f := range zr.File {
			if m := f.Modified.UTC(); !m.Equal(want) {
				t.Errorf("compress %v: %s dated %v, want %v", compress, f.Name, m, want)
			}
		}
	}
}

// An archive may hold files that are not arrays (numpy.load hands them out as bytes): they
// are skipped, and the arrays beside them read.
func TestReadNPZSkipsOtherFiles(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("README.txt")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("not an array\n"))
	w, err = zw.Create("x.npy")
	if err != nil {
		t.Fatal(err)
	}
	if err := Write(w, NewFloat32([]float32{1, 2}, 2)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	m, err := ReadNPZFrom(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil || len(m) != 1 || m["x"] == nil || len(m["x"].F32) != 2 {
		t.Errorf("archive with a README beside x.npy: %v, %v; want x alone", m, err)
	}
}
