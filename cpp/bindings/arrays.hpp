// Array conversion at the Python boundary: one checked conversion per argument.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <initializer_list>
#include <string>
#include <type_traits>
#include <vector>

#include "common.hpp"

namespace pyiscc::bind {

namespace py = pybind11;

template <class T>
using carray = py::array_t<T, py::array::c_style | py::array::forcecast>;

inline std::string shape_str(const std::vector<py::ssize_t>& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

// obj converted to a C-contiguous array of T (a copy), or ValueError naming the parameter.
template <class T>
carray<T> converted(const py::handle& obj, const char* name) {
  if (py::isinstance<py::array>(obj)) {
    const char kind = py::reinterpret_borrow<py::array>(obj).dtype().kind();
    // forcecast would parse strings ("1" -> 1.0) and drop an imaginary part silently.
    if (kind == 'U' || kind == 'S' || kind == 'V' || kind == 'M' || kind == 'm')
      throw py::value_error(std::string(name) + ": must be a numeric array, got dtype kind '" + kind + "'");
    if constexpr (std::is_same_v<T, double>) {
      if (kind == 'c') throw py::value_error(std::string(name) + ": must be real, got a complex array");
    }
  }
  carray<T> arr = carray<T>::ensure(obj);
  if (!arr) {
    PyErr_Clear();
    throw py::value_error(std::string(name) + ": cannot be converted to a numeric array");
  }
  return arr;
}

// Converts obj to a C-contiguous array of T (a copy only when needed: an array that already is
// one is used as it is) and checks its shape; a -1 in `shape` accepts any extent.  Errors name the
// parameter and arrive as ValueError.
template <class T>
carray<T> checked(const py::handle& obj, const char* name, std::initializer_list<py::ssize_t> shape) {
  carray<T> arr = carray<T>::check_(obj) ? py::reinterpret_borrow<carray<T>>(obj) : converted<T>(obj, name);
  // Compared in place (no vectors built on the success path: the QCQP binding calls this 6 times
  // per solve).
  bool ok = static_cast<std::size_t>(arr.ndim()) == shape.size();
  std::size_t i = 0;
  for (auto it = shape.begin(); ok && it != shape.end(); ++it, ++i) ok = *it < 0 || *it == arr.shape(i);
  if (!ok)
    throw py::value_error(std::string(name) + ": expected shape " +
                          shape_str(std::vector<py::ssize_t>(shape)) + ", got " +
                          shape_str(std::vector<py::ssize_t>(arr.shape(), arr.shape() + arr.ndim())));
  return arr;
}

template <class T>
carray<T> empty(std::initializer_list<py::ssize_t> shape) {
  return carray<T>(std::vector<py::ssize_t>(shape));
}

}  // namespace pyiscc::bind
