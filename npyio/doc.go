// Package npyio reads and writes NumPy's .npy and .npz files, so that every stage of
// gridcells can exchange arrays with Python users (npy in; npy, CSV and JSON out).
//
// # Format
//
// An .npy file is the 6-byte magic "\x93NUMPY", a major and minor version byte, a
// little-endian header length (uint16 in version 1.0, uint32 in 2.0 and 3.0), and an ASCII
// (3.0: UTF-8) Python dict literal such as
//
//	{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }
//
// padded with spaces and a newline so that the data starts on a 64-byte boundary, followed
// by the raw elements (numpy/lib/format.py, NEP 1). An .npz file is a zip archive whose
// entries are .npy files named "<key>.npy", stored (numpy.savez) or deflated
// (numpy.savez_compressed).
//
// # Data types
//
// Read accepts versions 1.0, 2.0 and 3.0 and the dtypes <f4, <f8, <i8, <i4, their
// big-endian twins >f4, >f8, >i8, >i4, and the one-byte |u1 and |b1. Floats land in
// Array.F32 or Array.F64 with Dtype normalised to the little-endian name; all integer and
// boolean dtypes land in Array.I64 with Dtype kept ("<i4", "|u1", "|b1"; big-endian
// integers become "<i8"/"<i4"), so that writing the array back keeps its element type.
// Fortran-ordered data is transposed into C (row-major) order on reading. Structured,
// complex and object dtypes are not supported and give an error.
//
// Write always produces C-order, little-endian version 1.0 files byte-identical to
// numpy.save (1.24), switching to 2.0 only when the header does not fit 65535 bytes.
//
// # Errors and allocation
//
// Malformed or truncated input returns an error wrapping ErrFormat or
// io.ErrUnexpectedEOF; it never panics. A header that claims more data than the input
// holds is refused before allocating when the input's size is known (files, byte
// readers, zip entries); otherwise the data slice grows only as bytes actually arrive,
// so a lying header cannot force a huge allocation. An Array whose Dtype, Shape and data
// slice disagree makes Write return an error.
package npyio
