#pragma once

namespace corral::http::test_support {

// How many times the global operator new has run in this test binary so far (all threads).
// allocation_counter.cc replaces operator new/delete with counting versions over malloc/free;
// they live in their own file so no caller can inline them (GCC then misreports a
// new/free mismatch).
long AllocationCount();

}  // namespace corral::http::test_support
