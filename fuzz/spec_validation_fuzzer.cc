// Fuzzes ServerSpec validation (spec/spec_validation.h), the first code that sees a client's
// Start request, and what corral-server checks before it runs a spec. The input is a ServerSpec in
// protobuf text format (the seeds are specs as people write them), or else in the binary wire
// format, as gRPC delivers it. Checks that a refusal is INVALID_ARGUMENT or UNIMPLEMENTED with a
// message, and that an accepted spec keeps every promise the agent relies on: a valid name and
// listen address, every default filled, every range respected, a root exactly when the protocol
// serves files, and validating it again changes nothing.
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_check.h"
#include "servers/net/address.h"
#include "spec/spec_validation.h"

namespace corral::spec {
namespace {

// Text-format errors are the normal case here; printing each would drown the fuzzer's output.
class QuietErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, int, const std::string&) override {}
  void AddWarning(int, int, const std::string&) override {}
};

bool ParseSpec(const uint8_t* data, size_t size, v1::ServerSpec* spec) {
  QuietErrors errors;
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (parser.ParseFromString(text, spec)) return true;
  spec->Clear();
  return spec->ParseFromArray(data, static_cast<int>(size));
}

void CheckAccepted(const v1::ServerSpec& in, const v1::ServerSpec& out) {
  const std::string what = out.ShortDebugString();
  FUZZ_CHECK(!out.name().empty() && out.name().size() <= 63, what);
  FUZZ_CHECK(out.name() == in.name(), what);
  // A command server (any program) has no protocol or model and may leave `listen` empty; the
  // serving fields below are corral-server's.
  const bool command = out.command_size() > 0;
  FUZZ_CHECK(command ? out.listen().empty() || net::Address::Parse(out.listen()).ok()
                     : net::Address::Parse(out.listen()).ok(),
             what);
  FUZZ_CHECK(out.stop_timeout_ms() >= 1 && out.stop_timeout_ms() <= 600'000, what);
  if (!command) {
    FUZZ_CHECK(out.max_workers() >= 1 && out.max_workers() <= 65536, what);
    FUZZ_CHECK(out.idle_timeout_ms() >= 1, what);
  }
  FUZZ_CHECK(out.restart_policy() != v1::RESTART_POLICY_UNSPECIFIED, what);
  FUZZ_CHECK(out.backoff_initial_ms() >= 1 && out.backoff_initial_ms() <= out.backoff_max_ms(),
             what);
  FUZZ_CHECK(out.max_failures() >= 1 && out.ready_timeout_ms() >= 1, what);
  FUZZ_CHECK(out.log_max_bytes() >= 4096 && out.log_max_bytes() <= (uint64_t{1} << 30), what);
  FUZZ_CHECK(out.log_keep_files() >= 1 && out.log_keep_files() <= 100, what);
  if (command) {
    FUZZ_CHECK(out.protocol() == v1::PROTOCOL_UNSPECIFIED && out.root().empty(), what);
  }
  const bool serves_files =
      out.protocol() == v1::PROTOCOL_HTTP || out.protocol() == v1::PROTOCOL_FILE;
  FUZZ_CHECK(serves_files == !out.root().empty(), what);
  if (serves_files) FUZZ_CHECK(out.root().front() == '/', what);
  FUZZ_CHECK((out.protocol() == v1::PROTOCOL_FILE) == (out.max_upload_bytes() != 0), what);
  const bool http = out.protocol() == v1::PROTOCOL_HTTP;
  FUZZ_CHECK(http == out.has_file_cache_valid_ms(), what);
  FUZZ_CHECK(http == (out.header_timeout_ms() != 0), what);

  // Without stats only max_workers' bound is looser: what passes with them passes without.
  absl::StatusOr<v1::ServerSpec> without_stats = ValidateSpec(in, Stats::kNotKept);
  FUZZ_CHECK(without_stats.ok() && without_stats->SerializeAsString() == out.SerializeAsString(),
             what);

  absl::StatusOr<v1::ServerSpec> again = ValidateSpec(out);
  FUZZ_CHECK(again.ok(), what + " -> " + again.status().ToString());
  FUZZ_CHECK(again->SerializeAsString() == out.SerializeAsString(),
             what + " -> " + again->ShortDebugString());
}

}  // namespace
}  // namespace corral::spec

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace corral::spec;
  corral::v1::ServerSpec spec;
  if (!ParseSpec(data, size, &spec)) return 0;
  absl::StatusOr<corral::v1::ServerSpec> result = ValidateSpec(spec);
  if (!result.ok()) {
    FUZZ_CHECK(result.status().code() == absl::StatusCode::kInvalidArgument ||
                   result.status().code() == absl::StatusCode::kUnimplemented,
               result.status().ToString());
    FUZZ_CHECK(!result.status().message().empty(), spec.ShortDebugString());
    return 0;
  }
  CheckAccepted(spec, *result);
  return 0;
}
