# C++ binding (include/phifd.hpp): GoogleTest suites, compile checks, quick starts, vector replay.
# Needs scripts/setup-cpp.sh on a fresh machine (GoogleTest, nlohmann-json).
.PHONY: test-cpp

test-cpp: lib
	cmake -S tests/cpp -B $(BUILD)/cpp -DPHIFD_ROOT=$(CURDIR) -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build $(BUILD)/cpp -j2
	cd $(BUILD)/cpp && ctest --output-on-failure

TEST_TARGETS += test-cpp
