package npyio

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/gridcells/gridcells/internal/safefile"
)

// ErrFormat is wrapped by every error about malformed NPY or NPZ content.
var ErrFormat = errors.New("npyio: malformed NPY data")

// Array is an N-d array in C (row-major) order. Exactly one of F32, F64 and I64 holds
// the Size() elements, chosen by Dtype:
//
//	"<f4"                 F32
//	"<f8"                 F64
//	"<i8", "<i4", "|u1", "|b1"  I64 (booleans as 0 and 1)
//
// A 0-d array has an empty Shape and one element.
type Array struct {
	Shape []int
	Dtype string
	F32   []float32
	F64   []float64
	I64   []int64
}

// NewFloat32 returns a "<f4" array that uses data (not a copy) with the given shape.
// It panics if len(data) is not the product of shape.
func NewFloat32(data []float32, shape ...int) *Array {
	checkLen("NewFloat32", len(data), shape)
	return &Array{Shape: append([]int(nil), shape...), Dtype: "<f4", F32: data}
}

// NewFloat64 returns a "<f8" array that uses data (not a copy) with the given shape.
// It panics if len(data) is not the product of shape.
func NewFloat64(data []float64, shape ...int) *Array {
	checkLen("NewFloat64", len(data), shape)
	return &Array{Shape: append([]int(nil), shape...), Dtype: "<f8", F64: data}
}

// NewInt64 returns a "<i8" array that uses data (not a copy) with the given shape.
// It panics if len(data) is not the product of shape.
func NewInt64(data []int64, shape ...int) *Array {
	checkLen("NewInt64", len(data), shape)
	return &Array{Shape: append([]int(nil), shape...), Dtype: "<i8", I64: data}
}

func checkLen(fn string, n int, shape []int) {
	size, ok := shapeSize(shape)
	if !ok || size != n {
		panic(fmt.Sprintf("npyio: %s: %d elements do not fill shape %v", fn, n, shape))
	}
}

// shapeSize returns the number of elements of shape, false if a dimension is negative or
// the product overflows int.
func shapeSize(shape []int) (int, bool) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		if d != 0 && n > math.MaxInt/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// Size returns the number of elements the shape describes (1 for a 0-d array).
func (a *Array) Size() int {
	n, _ := shapeSize(a.Shape)
	return n
}

// AsFloat64 returns the elements as float64: F64 itself for a "<f8" array, otherwise a
// new slice converted from F32 ("<f4") or I64 (integer and boolean dtypes).
func (a *Array) AsFloat64() []float64 {
	switch a.Dtype {
	case "<f8":
		return a.F64
	case "<f4":
		return convert[float64](a.F32)
	default:
		return convert[float64](a.I64)
	}
}

// AsFloat32 returns the elements as float32: F32 itself for a "<f4" array, otherwise a
// new slice converted (and rounded) from F64 or I64.
func (a *Array) AsFloat32() []float32 {
	switch a.Dtype {
	case "<f4":
		return a.F32
	case "<f8":
		return convert[float32](a.F64)
	default:
		return convert[float32](a.I64)
	}
}

// convert returns a new slice of src's elements converted to D.
func convert[D, S float32 | float64 | int64](src []S) []D {
	out := make([]D, len(src))
	for i, v := range src {
		out[i] = D(v)
	}
	return out
}

// kind is the storage class of a dtype.
type kind int

const (
	kindF32 kind = iota
	kindF64
	kindInt
)

// dtype describes one supported element type as it is stored on disk.
type dtype struct {
	name      string // normalised Dtype reported in Array
	kind      kind
	size      int  // bytes per element
	bigEndian bool // on-disk byte order
	signed    bool // integers: sign-extend
	boolean   bool // |b1: any non-zero byte is true
}

// parseDescr maps a header 'descr' to its dtype. One-byte types accept any byte-order
// character, as numpy does ("|u1", "<u1", "u1").
func parseDescr(descr string) (dtype, error) {
	switch descr {
	case "<f4":
		return dtype{name: "<f4", kind: kindF32, size: 4}, nil
	case ">f4":
		return dtype{name: "<f4", kind: kindF32, size: 4, bigEndian: true}, nil
	case "<f8":
		return dtype{name: "<f8", kind: kindF64, size: 8}, nil
	case ">f8":
		return dtype{name: "<f8", kind: kindF64, size: 8, bigEndian: true}, nil
	case "<i8":
		return dtype{name: "<i8", kind: kindInt, size: 8, signed: true}, nil
	case ">i8":
		return dtype{name: "<i8", kind: kindInt, size: 8, signed: true, bigEndian: true}, nil
	case "<i4":
		return dtype{name: "<i4", kind: kindInt, size: 4, signed: true}, nil
	case ">i4":
		return dtype{name: "<i4", kind: kindInt, size: 4, signed: true, bigEndian: true}, nil
	case "|u1", "<u1", ">u1", "=u1", "u1":
		return dtype{name: "|u1", kind: kindInt, size: 1}, nil
	case "|b1", "<b1", ">b1", "=b1", "b1", "?", "|?":
		return dtype{name: "|b1", kind: kindInt, size: 1, boolean: true}, nil
	}
	return dtype{}, fmt.Errorf("%w: unsupported dtype %q (want <f4, <f8, <i8, <i4, >f4, >f8, >i8, >i4, |u1 or |b1)", ErrFormat, descr)
}

// magic is the first six bytes of every .npy file.
const magic = "\x93NUMPY"

// maxHeaderLen bounds the header dict we are willing to read. numpy itself refuses
// headers over 10000 bytes by default (format._MAX_HEADER_SIZE); we allow more room for
// files written with a larger limit but stay far from what a lying uint32 could claim.
const maxHeaderLen = 1 << 20

// Read reads one .npy array from r, consuming exactly its bytes.
func Read(r io.Reader) (*Array, error) {
	n := remainingOf(r)
	return readNPY(r, n, n >= 0)
}

// remainingOf returns how many bytes r still holds, or -1 when that is unknown.
func remainingOf(r io.Reader) int64 {
	if l, ok := r.(interface{ Len() int }); ok {
		return int64(l.Len())
	}
	return -1
}

// ReadFile reads the .npy file at path.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	remaining := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		remaining = st.Size()
	}
	a, err := readNPY(bufio.NewReaderSize(f, 1<<16), remaining, remaining >= 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// header is the parsed .npy header.
type header struct {
	descr   string
	fortran bool
	shape   []int
}

// readNPY reads one array. remaining is the number of bytes r holds from its start
// (-1 if unknown), used to refuse lying headers early; prealloc says that remaining
// counts bytes actually present (a file's size), not merely claimed (a zip entry's
// declared size), so the whole data slice may be allocated up front.
func readNPY(r io.Reader, remaining int64, prealloc bool) (*Array, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, truncated("magic", err)
	}
	if string(pre[:6]) != magic {
		return nil, fmt.Errorf("%w: not an NPY file (bad magic %q)", ErrFormat, pre[:6])
	}
	major, minor := pre[6], pre[7]
	var hlen int
	prefix := 8
	switch major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, truncated("header length", err)
		}
		hlen = int(binary.LittleEndian.Uint16(b[:]))
		prefix += 2
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, truncated("header length", err)
		}
		l := binary.LittleEndian.Uint32(b[:])
		if l > maxHeaderLen {
			return nil, fmt.Errorf("%w: header length %d exceeds %d bytes", ErrFormat, l, maxHeaderLen)
		}
		hlen = int(l)
		prefix += 4
	default:
		return nil, fmt.Errorf("%w: unsupported format version %d.%d (want 1.0, 2.0 or 3.0)", ErrFormat, major, minor)
	}
	if minor != 0 {
		return nil, fmt.Errorf("%w: unsupported format version %d.%d (want 1.0, 2.0 or 3.0)", ErrFormat, major, minor)
	}
	if remaining >= 0 && int64(prefix+hlen) > remaining {
		return nil, fmt.Errorf("header of %d bytes but only %d in input: %w", hlen, remaining-int64(prefix), io.ErrUnexpectedEOF)
	}
	hb := make([]byte, hlen)
	if _, err := io.ReadFull(r, hb); err != nil {
		return nil, truncated("header", err)
	}
	h, err := parseHeader(string(hb))
	if err != nil {
		return nil, err
	}
	dt, err := parseDescr(h.descr)
	if err != nil {
		return nil, err
	}
	n, ok := shapeSize(h.shape)
	if !ok || int64(n) > math.MaxInt64/int64(dt.size) {
		return nil, fmt.Errorf("%w: shape %v is too large", ErrFormat, h.shape)
	}
	nbytes := int64(n) * int64(dt.size)
	if remaining >= 0 && nbytes > remaining-int64(prefix+hlen) {
		return nil, fmt.Errorf("shape %v needs %d data bytes but only %d in input: %w",
			h.shape, nbytes, remaining-int64(prefix+hlen), io.ErrUnexpectedEOF)
	}
	a := &Array{Shape: h.shape, Dtype: dt.name}
	if n == 0 {
		// Keep the storage slice non-nil so that an empty array still says where its data
		// would be.
		switch dt.kind {
		case kindF32:
			a.F32 = []float32{}
		case kindF64:
			a.F64 = []float64{}
		default:
			a.I64 = []int64{}
		}
		return a, nil
	}
	// Preallocate everything when the input is known to hold it; otherwise start small
	// and grow as data arrives.
	capHint := n
	if !prealloc {
		capHint = min(n, (1<<20)/dt.size)
	}
	if err := readData(r, dt, n, capHint, a); err != nil {
		return nil, err
	}
	if h.fortran && len(h.shape) > 1 {
		switch dt.kind {
		case kindF32:
			a.F32 = fortranToC(a.F32, h.shape)
		case kindF64:
			a.F64 = fortranToC(a.F64, h.shape)
		default:
			a.I64 = fortranToC(a.I64, h.shape)
		}
	}
	return a, nil
}

func truncated(what string, err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("reading NPY %s: %w", what, err)
}

// readData decodes n elements of dt from r into the storage slice of a.
func readData(r io.Reader, dt dtype, n, capHint int, a *Array) error {
	const chunkBytes = 1 << 16
	buf := make([]byte, min(chunkBytes, n*dt.size))
	var order binary.ByteOrder = binary.LittleEndian
	if dt.bigEndian {
		order = binary.BigEndian
	}
	switch dt.kind {
	case kindF32:
		a.F32 = make([]float32, 0, capHint)
	case kindF64:
		a.F64 = make([]float64, 0, capHint)
	default:
		a.I64 = make([]int64, 0, capHint)
	}
	for left := n; left > 0; {
		m := min(left, len(buf)/dt.size)
		b := buf[:m*dt.size]
		if _, err := io.ReadFull(r, b); err != nil {
			return truncated("data", err)
		}
		switch {
		case dt.kind == kindF32:
			for i := 0; i < m; i++ {
				a.F32 = append(a.F32, math.Float32frombits(order.Uint32(b[4*i:])))
			}
		case dt.kind == kindF64:
			for i := 0; i < m; i++ {
				a.F64 = append(a.F64, math.Float64frombits(order.Uint64(b[8*i:])))
			}
		case dt.size == 8:
			for i := 0; i < m; i++ {
				a.I64 = append(a.I64, int64(order.Uint64(b[8*i:])))
			}
		case dt.size == 4:
			for i := 0; i < m; i++ {
				a.I64 = append(a.I64, int64(int32(order.Uint32(b[4*i:]))))
			}
		case dt.boolean:
			for _, c := range b {
				v := int64(0)
				if c != 0 {
					v = 1
				}
				a.I64 = append(a.I64, v)
			}
		default: // |u1
			for _, c := range b {
				a.I64 = append(a.I64, int64(c))
			}
		}
		left -= m
	}
	return nil
}

// fortranToC returns the C-order copy of src, which holds shape in Fortran (column-major)
// order: element (i0, …, ik) of the array sits at Σ i_j·Π_{l<j} shape[l] in src.
func fortranToC[T any](src []T, shape []int) []T {
	dst := make([]T, len(src))
	k := len(shape)
	stride := make([]int, k) // Fortran strides in elements
	s := 1
	for j := 0; j < k; j++ {
		stride[j] = s
		s *= shape[j]
	}
	idx := make([]int, k)
	off := 0
	for i := range dst {
		dst[i] = src[off]
		// Advance the C-order multi-index (last axis fastest), keeping off in step.
		for j := k - 1; j >= 0; j-- {
			idx[j]++
			off += stride[j]
			if idx[j] < shape[j] {
				break
			}
			off -= idx[j] * stride[j]
			idx[j] = 0
		}
	}
	return dst
}

// parseHeader parses the Python dict literal of an .npy header. It accepts exactly the
// keys 'descr', 'fortran_order' and 'shape', as numpy's _read_array_header does.
func parseHeader(s string) (header, error) {
	p := &headerParser{s: s}
	var h header
	seen := map[string]bool{}
	p.space()
	if !p.eat('{') {
		return h, p.errorf("header does not start with '{'")
	}
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return h, err
		}
		if seen[key] {
			return h, p.errorf("duplicate key %q", key)
		}
		seen[key] = true
		p.space()
		if !p.eat(':') {
			return h, p.errorf("missing ':' after key %q", key)
		}
		p.space()
		switch key {
		case "descr":
			if h.descr, err = p.str(); err != nil {
				return h, err
			}
		case "fortran_order":
			switch {
			case strings.HasPrefix(p.s[p.i:], "True"):
				h.fortran = true
				p.i += 4
			case strings.HasPrefix(p.s[p.i:], "False"):
				p.i += 5
			default:
				return h, p.errorf("fortran_order is not True or False")
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return h, err
			}
		default:
			return h, p.errorf("unexpected key %q", key)
		}
		p.space()
		if p.eat('}') {
			break
		}
		if !p.eat(',') {
			return h, p.errorf("missing ',' after value of %q", key)
		}
	}
	if strings.TrimRight(p.s[p.i:], " \t\r\n\x00") != "" {
		return h, p.errorf("text after the header dict")
	}
	if !seen["descr"] || !seen["fortran_order"] || !seen["shape"] {
		return h, fmt.Errorf("%w: header lacks one of 'descr', 'fortran_order', 'shape': %q", ErrFormat, s)
	}
	return h, nil
}

type headerParser struct {
	s string
	i int
}

func (p *headerParser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: header at byte %d: %s", ErrFormat, p.i, fmt.Sprintf(format, args...))
}

func (p *headerParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *headerParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str parses a quoted Python string without escapes (dtype names and keys never need them).
func (p *headerParser) str() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", p.errorf("expected a quoted string")
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", p.errorf("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.IndexByte(v, '\\') >= 0 {
		return "", p.errorf("escaped strings are not supported")
	}
	p.i += end + 2
	return v, nil
}

// tuple parses a Python tuple of non-negative ints: (), (3,), (2, 3) or (2, 3,).
func (p *headerParser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, p.errorf("shape is not a tuple")
	}
	shape := []int{}
	comma := false
	for {
		p.space()
		if p.eat(')') {
			break
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		d, err := strconv.Atoi(p.s[start:p.i])
		if err != nil {
			return nil, p.errorf("shape entry %q is not a non-negative int", p.s[start:p.i])
		}
		p.eat('L') // Python 2 long suffix, written by old numpy
		shape = append(shape, d)
		p.space()
		if p.eat(')') {
			break
		}
		if !p.eat(',') {
			return nil, p.errorf("missing ',' in shape")
		}
		comma = true
	}
	if len(shape) == 1 && !comma {
		// "(3)" is an int in Python, not a tuple.
		return nil, p.errorf("shape (n) is not a tuple; want (n,)")
	}
	return shape, nil
}

// Write writes a as a C-order, little-endian .npy file to w, byte-identical to
// numpy.save for the same array.
func Write(w io.Writer, a *Array) error {
	if err := a.check(); err != nil {
		return err
	}
	if _, err := io.WriteString(w, encodeHeader(a)); err != nil {
		return err
	}
	return writeData(w, a)
}

// WriteFile writes a to path atomically (see internal/safefile).
func WriteFile(path string, a *Array) error {
	if err := a.check(); err != nil {
		return err
	}
	return safefile.Write(path, func(w io.Writer) error { return Write(w, a) })
}

// check reports an Array whose Dtype, Shape and storage disagree.
func (a *Array) check() error {
	if a == nil {
		return errors.New("npyio: nil Array")
	}
	n, ok := shapeSize(a.Shape)
	if !ok {
		return fmt.Errorf("npyio: invalid shape %v", a.Shape)
	}
	var have int
	switch a.Dtype {
	case "<f4":
		have = len(a.F32)
	case "<f8":
		have = len(a.F64)
	case "<i8", "<i4", "|u1", "|b1":
		have = len(a.I64)
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		switch a.Dtype {
		case "<i4":
			lo, hi = math.MinInt32, math.MaxInt32
		case "|u1":
			lo, hi = 0, 255
		case "|b1":
			lo, hi = 0, 1
		}
		for i, v := range a.I64 {
			if v < lo || v > hi {
				return fmt.Errorf("npyio: element %d = %d does not fit dtype %s", i, v, a.Dtype)
			}
		}
	default:
		return fmt.Errorf("npyio: cannot write dtype %q (want <f4, <f8, <i8, <i4, |u1 or |b1)", a.Dtype)
	}
	if have != n {
		return fmt.Errorf("npyio: %s array of shape %v needs %d elements, has %d", a.Dtype, a.Shape, n, have)
	}
	return nil
}

// arrayAlign is numpy's format.ARRAY_ALIGN: data starts on this boundary.
const arrayAlign = 64

// growthAxisMaxDigits is numpy's format.GROWTH_AXIS_MAX_DIGITS: numpy ≥1.24 leaves room
// in the header for the first axis to grow to this many digits.
const growthAxisMaxDigits = 21

// encodeHeader returns magic, version, header length and the padded dict, following
// numpy.lib.format._write_array_header and _wrap_header (numpy 1.24).
func encodeHeader(a *Array) string {
	var sb strings.Builder
	sb.WriteString("{'descr': '")
	sb.WriteString(a.Dtype)
	sb.WriteString("', 'fortran_order': False, 'shape': (")
	for i, d := range a.Shape {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(strconv.Itoa(d))
	}
	if len(a.Shape) == 1 {
		sb.WriteString(",")
	}
	sb.WriteString("), }")
	if len(a.Shape) > 0 {
		sb.WriteString(strings.Repeat(" ", max(0, growthAxisMaxDigits-len(strconv.Itoa(a.Shape[0])))))
	}
	dict := sb.String()
	hlen := len(dict) + 1 // the final newline
	for _, v := range []struct {
		major  byte
		lenLen int
	}{{1, 2}, {2, 4}} {
		pad := arrayAlign - (len(magic)+2+v.lenLen+hlen)%arrayAlign
		total := hlen + pad
		if v.lenLen == 2 && total > math.MaxUint16 {
			continue
		}
		out := make([]byte, 0, len(magic)+2+v.lenLen+total)
		out = append(out, magic...)
		out = append(out, v.major, 0)
		if v.lenLen == 2 {
			out = binary.LittleEndian.AppendUint16(out, uint16(total))
		} else {
			out = binary.LittleEndian.AppendUint32(out, uint32(total))
		}
		out = append(out, dict...)
		for range pad {
			out = append(out, ' ')
		}
		out = append(out, '\n')
		return string(out)
	}
	panic("npyio: unreachable: header too long for version 2.0")
}

// writeData writes the elements of a (already checked) in little-endian order.
func writeData(w io.Writer, a *Array) error {
	const chunk = 1 << 16
	var buf []byte
	flush := func() error {
		_, err := w.Write(buf)
		buf = buf[:0]
		return err
	}
	buf = make([]byte, 0, chunk+8)
	put := func() error {
		if len(buf) >= chunk {
			return flush()
		}
		return nil
	}
	le := binary.LittleEndian
	switch a.Dtype {
	case "<f4":
		for _, v := range a.F32 {
			buf = le.AppendUint32(buf, math.Float32bits(v))
			if err := put(); err != nil {
				return err
			}
		}
	case "<f8":
		for _, v := range a.F64 {
			buf = le.AppendUint64(buf, math.Float64bits(v))
			if err := put(); err != nil {
				return err
			}
		}
	case "<i8":
		for _, v := range a.I64 {
			buf = le.AppendUint64(buf, uint64(v))
			if err := put(); err != nil {
				return err
			}
		}
	case "<i4":
		for _, v := range a.I64 {
			buf = le.AppendUint32(buf, uint32(int32(v)))
			if err := put(); err != nil {
				return err
			}
		}
	default: // |u1, |b1
		for _, v := range a.I64 {
			buf = append(buf, byte(v))
			if err := put(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// WriteFloat32Chunks writes a float32 array of the given shape to path atomically (see
// WriteFile) without holding it in memory: fill is called with consecutive parts of the
// C-order elements, dst of at most chunk elements starting at element start, and fills dst.
// An error from fill (a cancelled context) leaves nothing behind. It is how an output of
// many gigabytes (gridcells encode of millions of positions) is written.
func WriteFloat32Chunks(path string, shape []int, chunk int, fill func(dst []float32, start int) error) error {
	n, ok := shapeSize(shape)
	if !ok {
		return fmt.Errorf("npyio: invalid shape %v", shape)
	}
	if chunk < 1 {
		return fmt.Errorf("npyio: chunk %d: must be ≥ 1", chunk)
	}
	header := encodeHeader(&Array{Dtype: "<f4", Shape: shape})
	return safefile.Write(path, func(w io.Writer) error {
		if _, err := io.WriteString(w, header); err != nil {
			return err
		}
		dst := make([]float32, min(chunk, n))
		for start := 0; start < n; start += len(dst) {
			dst = dst[:min(chunk, n-start)]
			if err := fill(dst, start); err != nil {
				return err
			}
			if err := writeData(w, &Array{Dtype: "<f4", F32: dst}); err != nil {
				return err
			}
		}
		return nil
	})
}
