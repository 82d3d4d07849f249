#pragma once
// A busybox image made from the host's static busybox (/bin/busybox from busybox-static), for tests that run
// containers: `ImportBusybox(ctr, dir, "docker.io/library/bbox:v1")` generates it under dir and imports it.

#include <gtest/gtest.h>

#include <string>

#include "tests/util/ctr.h"

namespace berth::testing {

::testing::AssertionResult ImportBusybox(const Ctr& ctr, const std::string& dir, const std::string& name);

}  // namespace berth::testing
