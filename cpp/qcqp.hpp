// The QCQP solver's public API: see cpp/qcqp/qcqp.hpp (this header keeps `#include "qcqp.hpp"`
// working for the rest of cpp/).
#pragma once

#include "qcqp/qcqp.hpp"
