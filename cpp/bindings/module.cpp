// pyiscc._core: the compiled kernels.  Users import pyiscc, never this module directly.
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace pyiscc::bind {
void register_channel(py::module_& m);
void register_admm(py::module_& m);
void register_qcqp(py::module_& m);
void register_beamforming(py::module_& m);
}  // namespace pyiscc::bind

PYBIND11_MODULE(_core, m) {
  m.doc() = "pyiscc compiled kernels (C++17 / Eigen)";
  m.attr("__version__") = PYISCC_VERSION;
  pyiscc::bind::register_channel(m);
  pyiscc::bind::register_admm(m);
  pyiscc::bind::register_qcqp(m);
  pyiscc::bind::register_beamforming(m);
}
