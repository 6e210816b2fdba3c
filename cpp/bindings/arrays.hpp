// Array conversion at the Python boundary: one checked conversion per argument.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <initializer_list>
#include <string>
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

// Converts obj to a C-contiguous array of T (a copy only when needed) and checks its shape;
// a -1 in `shape` accepts any extent.  Errors name the parameter and arrive as ValueError.
template <class T>
carray<T> checked(const py::handle& obj, const char* name, std::initializer_list<py::ssize_t> shape) {
  carray<T> arr = carray<T>::ensure(obj);
  if (!arr) {
    PyErr_Clear();
    throw py::value_error(std::string(name) + ": cannot be converted to a numeric array");
  }
  std::vector<py::ssize_t> want(shape), got(arr.shape(), arr.shape() + arr.ndim());
  bool ok = got.size() == want.size();
  for (std::size_t i = 0; ok && i < want.size(); ++i) ok = want[i] < 0 || want[i] == got[i];
  if (!ok)
    throw py::value_error(std::string(name) + ": expected shape " + shape_str(want) + ", got " +
                          shape_str(got));
  return arr;
}

template <class T>
carray<T> empty(std::initializer_list<py::ssize_t> shape) {
  return carray<T>(std::vector<py::ssize_t>(shape));
}

}  // namespace pyiscc::bind
