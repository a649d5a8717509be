#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "servers/protocols/http/request_parser.h"

// Test helpers that drive a RequestParser the way a connection would.
namespace corral::http::test_support {

// Request bytes made printable for failure messages.
std::string Escape(std::string_view bytes);

// One line describing everything a parsed Request exposes.
std::string Summarize(const Request& request);

// Simulates a connection: `data` arrives in chunks cut at `cuts` (ascending offsets), each in
// a fresh buffer; pipelined leftovers are fed after Reset(). Returns one line per event
// ("head ...", "request ...", "error 400", and "incomplete" if a request was cut short), so
// whole, byte-by-byte and split feeds compare with a single EXPECT_EQ.
std::vector<std::string> Drive(std::string_view data, const std::vector<std::size_t>& cuts,
                               const ParserLimits& limits = ParserLimits());
std::vector<std::string> DriveWhole(std::string_view data,
                                    const ParserLimits& limits = ParserLimits());
std::vector<std::string> DriveByteByByte(std::string_view data,
                                         const ParserLimits& limits = ParserLimits());

// Feeds `data` in one call, continuing past kHeadComplete; returns the final status.
ParseStatus FeedAll(RequestParser& parser, std::string_view data, std::size_t* consumed);

// The status of the error `data` must produce (fails the test if it parses).
StatusCode ErrorOf(std::string_view data, const ParserLimits& limits = ParserLimits());

}  // namespace corral::http::test_support
