// pyiscc._core_generic / pyiscc._core_x86_64_v3: the compiled kernels, one module per target
// (CMakeLists.txt); pyiscc/_core.py picks one.  Users import pyiscc, never these directly.
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace pyiscc::bind {
void register_channel(py::module_& m);
void register_admm(py::module_& m);
void register_qcqp(py::module_& m);
void register_beamforming(py::module_& m);
}  // namespace pyiscc::bind

namespace {
// Whether this CPU (and OS) can run x86-64-v3 code: AVX2, FMA, BMI1/2, F16C, LZCNT, MOVBE.
bool cpu_supports_x86_64_v3() {
#if (defined(__x86_64__) || defined(_M_X64)) && defined(__GNUC__)
  __builtin_cpu_init();
#if !defined(__clang__) && __GNUC__ >= 12
  return __builtin_cpu_supports("x86-64-v3") > 0;
#else
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2");
#endif
#else
  return false;
#endif
}
}  // namespace

PYBIND11_MODULE(PYISCC_MODULE_NAME, m) {
  m.doc() = "pyiscc compiled kernels (C++17 / Eigen)";
  m.attr("__version__") = PYISCC_VERSION;
  m.def("cpu_supports_x86_64_v3", &cpu_supports_x86_64_v3,
        "Whether this CPU can run the x86-64-v3 (AVX2 + FMA) build of the kernels.");
  pyiscc::bind::register_channel(m);
  pyiscc::bind::register_admm(m);
  pyiscc::bind::register_qcqp(m);
  pyiscc::bind::register_beamforming(m);
}
