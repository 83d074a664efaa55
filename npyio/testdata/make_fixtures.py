# make_fixtures.py writes the numpy-produced fixtures that npyio's tests compare against.
# It was run once, from this directory, with Debian's python3-numpy 1.24.2:
#
#	/usr/bin/python3 make_fixtures.py
#
# The Go tests rebuild the same values from the formulas below and never need Python.
import numpy as np

np.save("f8_2x3.npy", np.arange(6, dtype="<f8").reshape(2, 3) * 0.5 - 1)
np.save("f4_2x3x4.npy", (np.arange(24, dtype="<f4") * 0.25).reshape(2, 3, 4))
np.save("i8_4.npy", np.array([-3, 0, 7, 1 << 40], dtype="<i8"))
np.save("i4_2x2.npy", np.array([[-2147483648, -1], [0, 2147483647]], dtype="<i4"))
np.save("f8_scalar.npy", np.array(3.25, dtype="<f8"))
np.save("f8_0x3.npy", np.zeros((0, 3), dtype="<f8"))
np.save("f8_fortran_2x3x4.npy", np.asfortranarray(np.arange(24, dtype="<f8").reshape(2, 3, 4)))
np.save("f8_be_3.npy", np.array([1.5, -2.0, 1e300], dtype=">f8"))
np.save("f4_be_3.npy", np.array([1.5, -2.0, 3e38], dtype=">f4"))
np.save("u1_5.npy", np.array([0, 1, 127, 128, 255], dtype="|u1"))
np.save("b1_3.npy", np.array([True, False, True], dtype="|b1"))
for v in (2, 3):
    with open("f8_2x3_v%d.npy" % v, "wb") as f:
        np.lib.format.write_array(f, np.arange(6, dtype="<f8").reshape(2, 3) * 0.5 - 1, version=(v, 0))
a = np.arange(6, dtype="<f8").reshape(2, 3) * 0.5 - 1
b = np.array([-3, 0, 7, 1 << 40], dtype="<i8")
np.savez("stored.npz", a=a, b=b)
np.savez_compressed("deflated.npz", a=a, b=b)
